/*
 * address.c — validation and canonical JSON of the addresses of an order
 * (address.h). The rule for every text member is text_check() with the
 * member's limit; a member must be a JSON string, the optional ones may
 * also be left out (null is refused, as everywhere in the API: a field is
 * either present with a value or absent). The country table is the 249
 * assigned alpha-2 codes of ISO 3166-1, packed as one string searched in
 * steps of two; user-assigned codes (XK for Kosovo) are not in it. The
 * phone number is not parsed (E.164 or not, with spaces or not): only its
 * characters are checked, digits and "+ -().", which is what a carrier's
 * label can print.
 */
#include <stdio.h>
#include <string.h>

#include "address.h"
#include "json.h"
#include "log.h"
#include "order.h"
#include "order_impl.h"

static const char address_countries[] =
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZ"
	"BABBBDBEBFBGBHBIBJBLBMBNBOBQBRBS"
	"BTBVBWBYBZCACCCDCFCGCHCICKCLCMCN"
	"COCRCUCVCWCXCYCZDEDJDKDMDODZECEE"
	"EGEHERESETFIFJFKFMFOFRGAGBGDGEGF"
	"GGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM"
	"HNHRHTHUIDIEILIMINIOIQIRISITJEJM"
	"JOJPKEKGKHKIKMKNKPKRKWKYKZLALBLC"
	"LILKLRLSLTLULVLYMAMCMDMEMFMGMHMK"
	"MLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNA"
	"NCNENFNGNINLNONPNRNUNZOMPAPEPFPG"
	"PHPKPLPMPNPRPSPTPWPYQARERORSRURW"
	"SASBSCSDSESGSHSISJSKSLSMSNSOSRSS"
	"STSVSXSYSZTCTDTFTGTHTJTKTLTMTNTO"
	"TRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVI"
	"VNVUWFWSYEYTZAZMZW";

_Static_assert(sizeof(address_countries) == 249 * 2 + 1,
    "ISO 3166-1 assigns 249 alpha-2 codes");

static const char *const address_keys[] = {
	"name", "line1", "line2", "city", "region", "postalCode", "country",
	"phone", NULL
};

int
address_country_valid(const char *s, size_t len)
{
	size_t	 i;

	if (s == NULL || len != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
	    s[1] > 'Z')
		return 0;
	for (i = 0; i + 1 < sizeof(address_countries); i += 2)
		if (address_countries[i] == s[0] &&
		    address_countries[i + 1] == s[1])
			return 1;
	return 0;
}

/* Checks the text member key of obj (at prefix) with 1..max characters
 * into dst. Returns 0, or -1 after recording an error. */
static int
address_text(struct json_object *obj, const char *prefix, const char *key,
    int required, size_t max, char *dst, struct order_errors *errs)
{
	struct json_object	*v;	/* borrowed */
	const char		*why;
	char			 detail[96];
	size_t			 len;

	dst[0] = '\0';
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (!required)
			return 0;
		order_fail(errs, prefix, key, "is required");
		return -1;
	}
	if (!json_object_is_type(v, json_type_string)) {
		order_fail(errs, prefix, key, "must be a string");
		return -1;
	}
	len = (size_t)json_object_get_string_len(v);
	if ((why = text_check(json_object_get_string(v), len, 1, max)) !=
	    NULL) {
		if (strcmp(why, "has the wrong length") == 0) {
			snprintf(detail, sizeof(detail),
			    "must be 1 to %zu characters long", max);
			why = detail;
		}
		order_fail(errs, prefix, key, why);
		return -1;
	}
	memcpy(dst, json_object_get_string(v), len + 1);
	return 0;
}

int
address_validate(struct json_object *v, const char *ptr,
    struct oms_address *out, struct order_errors *errs)
{
	size_t	 found = errs->found, i;
	int	 bad = 0;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(v, json_type_object)) {
		order_errors_add(errs, ptr, "must be an object");
		return -1;
	}
	address_text(v, ptr, "name", 1, ADDRESS_NAME_MAX, out->name, errs);
	address_text(v, ptr, "line1", 1, ADDRESS_LINE_MAX, out->line1, errs);
	address_text(v, ptr, "line2", 0, ADDRESS_LINE_MAX, out->line2, errs);
	address_text(v, ptr, "city", 1, ADDRESS_CITY_MAX, out->city, errs);
	address_text(v, ptr, "region", 0, ADDRESS_REGION_MAX, out->region,
	    errs);
	address_text(v, ptr, "postalCode", 1, ADDRESS_POSTAL_MAX,
	    out->postal_code, errs);
	if (address_text(v, ptr, "country", 1, 2, out->country, errs) == 0 &&
	    !address_country_valid(out->country, strlen(out->country))) {
		order_fail(errs, ptr, "country",
		    "must be an ISO 3166-1 alpha-2 code in capitals (\"DE\")");
		out->country[0] = '\0';
	}
	if (address_text(v, ptr, "phone", 0, ADDRESS_PHONE_MAX, out->phone,
	    errs) == 0) {
		for (i = 0; out->phone[i] != '\0'; i++)
			if (!strchr("0123456789+-(). ", out->phone[i]))
				bad = 1;
		if (bad)
			order_fail(errs, ptr, "phone", "may contain only "
			    "digits, spaces and + - ( ) .");
	}
	order_check_unknown(v, ptr, address_keys, errs);
	if (errs->found != found)
		return -1;
	out->present = 1;
	return 0;
}

struct json_object *
address_to_json(const struct oms_address *a)
{
	struct json_object	*o;	/* owned */

	if ((o = json_object_new_object()) == NULL)
		fatalx("address: out of memory");
	json_add_str(o, "name", a->name);
	json_add_str(o, "line1", a->line1);
	if (a->line2[0] != '\0')
		json_add_str(o, "line2", a->line2);
	json_add_str(o, "city", a->city);
	if (a->region[0] != '\0')
		json_add_str(o, "region", a->region);
	json_add_str(o, "postalCode", a->postal_code);
	json_add_str(o, "country", a->country);
	if (a->phone[0] != '\0')
		json_add_str(o, "phone", a->phone);
	return o;
}

const char *
address_email_check(const char *s, size_t len)
{
	const char	*at, *dom, *p;
	size_t		 i, dots = 0;

	if (len < 3 || len > EMAIL_MAX)
		return "must be 3 to 254 bytes long";
	if (text_check(s, len, 1, len) != NULL)
		return "must be UTF-8 without control characters";
	for (i = 0; i < len; i++)
		if (s[i] == ' ')
			return "must not contain spaces";
	if ((at = memchr(s, '@', len)) == NULL || at == s ||
	    memchr(at + 1, '@', len - (size_t)(at - s) - 1) != NULL)
		return "must have one @ after a non-empty local part";
	dom = at + 1;
	if (dom == s + len || *dom == '.' || s[len - 1] == '.')
		return "must have a domain of dot-separated labels after the @";
	for (p = dom; p < s + len; p++) {
		if (*p != '.')
			continue;
		if (p[1] == '.')
			return "must have a domain of dot-separated labels "
			    "after the @";
		dots++;
	}
	if (dots == 0)
		return "must have a domain of dot-separated labels after the @";
	return NULL;
}
