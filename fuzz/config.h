/*
 * config.h for the fuzz targets, which are built by fuzz/run outside
 * configure. The modules they link do not read it today; it carries the
 * PACKAGE_* names so that a module that starts including config.h still
 * builds here.
 */
#ifndef OMS_FUZZ_CONFIG_H
#define OMS_FUZZ_CONFIG_H

#define PACKAGE			"oms"
#define PACKAGE_NAME		"oms"
#define PACKAGE_TARNAME		"oms"
#define PACKAGE_VERSION		"0.1.0"
#define PACKAGE_STRING		"oms 0.1.0"
#define PACKAGE_BUGREPORT	"https://example.invalid/oms/issues"
#define PACKAGE_URL		""

#endif
