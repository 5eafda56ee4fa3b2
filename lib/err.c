/*
 * The oms error vocabulary: descriptions and stable names for enum
 * oms_err. Every module reports failures with these codes; the mapping to
 * HTTP statuses lives elsewhere (fcgi-app/http.c), so this file only turns
 * a code into text for logs and problem documents. Both tables are indexed
 * by the enum and checked at compile time to cover every code.
 */
#include <stddef.h>

#include "err.h"

static const char *const err_desc[] = {
	[OMS_OK] =		"success",
	[OMS_EINVAL] =		"invalid input",
	[OMS_ENOMEM] =		"out of memory",
	[OMS_EIO] =		"input/output error",
	[OMS_EAUTH] =		"not authenticated",
	[OMS_EFORBIDDEN] =	"forbidden",
	[OMS_ENOTFOUND] =	"not found",
	[OMS_ECONFLICT] =	"conflict with the resource's state",
	[OMS_EUNAVAIL] =	"backing service unavailable",
	[OMS_ETOOBIG] =		"size limit exceeded",
	[OMS_ETIMEOUT] =	"timed out",
	[OMS_EINTERNAL] =	"internal error",
};

static const char *const err_name[] = {
	[OMS_OK] =		"OK",
	[OMS_EINVAL] =		"EINVAL",
	[OMS_ENOMEM] =		"ENOMEM",
	[OMS_EIO] =		"EIO",
	[OMS_EAUTH] =		"EAUTH",
	[OMS_EFORBIDDEN] =	"EFORBIDDEN",
	[OMS_ENOTFOUND] =	"ENOTFOUND",
	[OMS_ECONFLICT] =	"ECONFLICT",
	[OMS_EUNAVAIL] =	"EUNAVAIL",
	[OMS_ETOOBIG] =		"ETOOBIG",
	[OMS_ETIMEOUT] =	"ETIMEOUT",
	[OMS_EINTERNAL] =	"EINTERNAL",
};

_Static_assert(sizeof(err_desc) / sizeof(err_desc[0]) == OMS_ERR_MAX,
    "err_desc must describe every enum oms_err");
_Static_assert(sizeof(err_name) / sizeof(err_name[0]) == OMS_ERR_MAX,
    "err_name must name every enum oms_err");

/* Returns a static description; "unknown error" for an out-of-range code. */
const char *
oms_strerror(enum oms_err err)
{
	if ((unsigned int)err >= OMS_ERR_MAX || err_desc[err] == NULL)
		return "unknown error";
	return err_desc[err];
}

/* Returns a static name; "EUNKNOWN" for an out-of-range code. */
const char *
oms_errname(enum oms_err err)
{
	if ((unsigned int)err >= OMS_ERR_MAX || err_name[err] == NULL)
		return "EUNKNOWN";
	return err_name[err];
}
