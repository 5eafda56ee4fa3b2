/*
 * The postal addresses and the e-mail address of an order (DESIGN.md
 * section 10): shippingAddress and billingAddress, each
 *   {name, line1, line2?, city, region?, postalCode, country, phone?}
 * with country an ISO 3166-1 alpha-2 code from a compiled-in table, and
 * email. Validation walks a parsed document (json-c, borrowed) and reports
 * into an order_errors (order.h) with RFC 6901 pointers. No I/O.
 */
#ifndef OMS_ADDRESS_H
#define OMS_ADDRESS_H

#include <stddef.h>
#include <json-c/json.h>

#include "text.h"

/* Limits in characters (code points). */
#define ADDRESS_NAME_MAX	200
#define ADDRESS_LINE_MAX	200
#define ADDRESS_CITY_MAX	100
#define ADDRESS_REGION_MAX	100
#define ADDRESS_POSTAL_MAX	20
#define ADDRESS_PHONE_MAX	32
#define EMAIL_MAX		254	/* RFC 5321's path limit, in bytes */

struct order_errors;

/* A validated address; every string is NUL-terminated, "" when absent.
 * Each buffer holds its limit in characters of up to 4 bytes, as
 * address_validate() copies a member before it knows it is ASCII. */
struct oms_address {
	int	 present;
	char	 name[TEXT_SIZE(ADDRESS_NAME_MAX)];
	char	 line1[TEXT_SIZE(ADDRESS_LINE_MAX)];
	char	 line2[TEXT_SIZE(ADDRESS_LINE_MAX)];
	char	 city[TEXT_SIZE(ADDRESS_CITY_MAX)];
	char	 region[TEXT_SIZE(ADDRESS_REGION_MAX)];
	char	 postal_code[TEXT_SIZE(ADDRESS_POSTAL_MAX)];
	char	 country[TEXT_SIZE(2)];	/* 2 letters once valid */
	char	 phone[TEXT_SIZE(ADDRESS_PHONE_MAX)];
};

/* Returns 1 if the len bytes at s are an assigned ISO 3166-1 alpha-2 code
 * (upper case), else 0. */
int	address_country_valid(const char *s, size_t len);

/* Checks v (borrowed; the member at pointer ptr) as an address into *out.
 * Errors are appended to errs. Returns 0 if it is valid, else -1. */
int	address_validate(struct json_object *v, const char *ptr,
	    struct oms_address *out, struct order_errors *errs);

/* Returns an owned object of a present address (members in the order
 * above, optional ones only when set); release with json_object_put(). */
struct json_object *address_to_json(const struct oms_address *a);

/* Checks the len bytes at s as an e-mail address: 3..254 bytes of UTF-8
 * without spaces or control characters, one '@' with a non-empty local
 * part before it and a domain of dot-separated non-empty labels (at least
 * two) after it. Returns NULL, or a static detail. */
const char *address_email_check(const char *s, size_t len);

#endif
