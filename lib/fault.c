/*
 * fault.c — test-only fault injection (see fault.h). Reads OMS_FAULT at
 * each call: faults are looked up only on paths a test exercises, and never
 * in a build made without --enable-fault-injection.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fault.h"

int
fault_enabled(void)
{
#ifdef OMS_FAULT_INJECTION
	return 1;
#else
	return 0;
#endif
}

long
fault_value(const char *name)
{
#ifdef OMS_FAULT_INJECTION
	const char *s = getenv("OMS_FAULT");
	size_t len = strlen(name);

	while (s != NULL && *s != '\0') {
		const char *end = strchr(s, ',');
		size_t n = end != NULL ? (size_t)(end - s) : strlen(s);

		if (n >= len && strncmp(s, name, len) == 0) {
			if (n == len)
				return 1;
			if (s[len] == '=')
				return strtol(s + len + 1, NULL, 10);
		}
		s = end != NULL ? end + 1 : NULL;
	}
#else
	(void)name;
#endif
	return 0;
}
