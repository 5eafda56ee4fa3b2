/*
 * Unit tests for the pure half of lib/auth.c: role names, the customer id
 * and name rules, base64url (RFC 4648 section 10 vectors, URL alphabet, no
 * padding), SHA-256 hex (FIPS 180-2 vectors), key generation and form,
 * and the Bearer header. auth_lookup() is checked only for refusing bad
 * headers before it touches Redis (the client points at a closed port).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "store.h"
#include "unit.h"

#define GOOD_KEY	"oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"

START_TEST(test_roles)
{
	enum auth_role r = AUTH_ROLE_NONE;

	ck_assert_str_eq(auth_role_name(AUTH_ROLE_CUSTOMER), "customer");
	ck_assert_str_eq(auth_role_name(AUTH_ROLE_SHIPPER), "shipper");
	ck_assert_str_eq(auth_role_name(AUTH_ROLE_ADMIN), "admin");
	ck_assert_ptr_null(auth_role_name(AUTH_ROLE_NONE));
	ck_assert_ptr_null(auth_role_name((enum auth_role)42));
	ck_assert_int_eq(auth_role_parse("shipper", &r), 0);
	ck_assert_int_eq(r, AUTH_ROLE_SHIPPER);
	ck_assert_int_eq(auth_role_parse("admin", &r), 0);
	ck_assert_int_eq(r, AUTH_ROLE_ADMIN);
	ck_assert_int_eq(auth_role_parse("Admin", &r), -1);
	ck_assert_int_eq(auth_role_parse("", &r), -1);
	ck_assert_int_eq(auth_role_parse(NULL, &r), -1);
	ck_assert_int_eq(r, AUTH_ROLE_ADMIN);
}
END_TEST

START_TEST(test_customer_id)
{
	char long_id[AUTH_CUSTOMER_MAX + 2];

	ck_assert_int_eq(auth_customer_id_valid("cus_demo"), 1);
	ck_assert_int_eq(auth_customer_id_valid("A-z.0:9_"), 1);
	ck_assert_int_eq(auth_customer_id_valid(""), 0);
	ck_assert_int_eq(auth_customer_id_valid("cus demo"), 0);
	ck_assert_int_eq(auth_customer_id_valid("cus/1"), 0);
	ck_assert_int_eq(auth_customer_id_valid("caf\xc3\xa9"), 0);
	memset(long_id, 'a', sizeof(long_id));
	long_id[AUTH_CUSTOMER_MAX] = '\0';
	ck_assert_int_eq(auth_customer_id_valid(long_id), 1);
	long_id[AUTH_CUSTOMER_MAX] = 'a';
	long_id[AUTH_CUSTOMER_MAX + 1] = '\0';
	ck_assert_int_eq(auth_customer_id_valid(long_id), 0);
}
END_TEST

START_TEST(test_name)
{
	char long_name[AUTH_NAME_MAX + 2];

	ck_assert_int_eq(auth_name_valid("Ops team (EU) #1"), 1);
	ck_assert_int_eq(auth_name_valid("~"), 1);
	ck_assert_int_eq(auth_name_valid(""), 0);
	ck_assert_int_eq(auth_name_valid("tab\there"), 0);
	ck_assert_int_eq(auth_name_valid("nl\n"), 0);
	ck_assert_int_eq(auth_name_valid("del\x7f"), 0);
	ck_assert_int_eq(auth_name_valid("caf\xc3\xa9"), 0);
	memset(long_name, 'n', sizeof(long_name));
	long_name[AUTH_NAME_MAX] = '\0';
	ck_assert_int_eq(auth_name_valid(long_name), 1);
	long_name[AUTH_NAME_MAX] = 'n';
	long_name[AUTH_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(auth_name_valid(long_name), 0);
}
END_TEST

/* RFC 4648 section 10, padding removed. */
static const char *const b64_vectors[][2] = {
	{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" }, { "foobar", "Zm9vYmFy" },
};

START_TEST(test_b64url_vectors)
{
	char out[16];
	const char *in = b64_vectors[_i][0];
	int n;

	n = auth_b64url_encode((const unsigned char *)in, strlen(in), out,
	    sizeof(out));
	ck_assert_int_eq(n, (int)strlen(b64_vectors[_i][1]));
	ck_assert_str_eq(out, b64_vectors[_i][1]);
}
END_TEST

START_TEST(test_b64url_alphabet)
{
	/* standard base64 of these is "+/8=" and "++++": URL-safe here */
	static const unsigned char a[] = { 0xfb, 0xff }, b[] = { 0xfb, 0xef,
	    0xbe };
	char out[8];

	ck_assert_int_eq(auth_b64url_encode(a, sizeof(a), out, sizeof(out)), 3);
	ck_assert_str_eq(out, "-_8");
	ck_assert_int_eq(auth_b64url_encode(b, sizeof(b), out, sizeof(out)), 4);
	ck_assert_str_eq(out, "----");
}
END_TEST

START_TEST(test_b64url_small_buffer)
{
	char out[4] = "xyz";

	/* "foo" needs 4 bytes + NUL */
	ck_assert_int_eq(auth_b64url_encode((const unsigned char *)"foo", 3,
	    out, sizeof(out)), -1);
	ck_assert_str_eq(out, "xyz");
}
END_TEST

START_TEST(test_hash_vectors)
{
	char hex[AUTH_HASH_SIZE];

	ck_assert_int_eq(auth_key_hash("abc", hex), 0);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ck_assert_int_eq(auth_key_hash("", hex), 0);
	ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
}
END_TEST

START_TEST(test_generate)
{
	char a[AUTH_KEY_SIZE], b[AUTH_KEY_SIZE];

	ck_assert_int_eq(auth_key_generate(a), OMS_OK);
	ck_assert_int_eq(auth_key_generate(b), OMS_OK);
	ck_assert_uint_eq(strlen(a), AUTH_KEY_LEN);
	ck_assert_int_eq(strncmp(a, "oms_", 4), 0);
	ck_assert_int_eq(auth_key_valid(a), 1);
	ck_assert_int_eq(auth_key_valid(b), 1);
	ck_assert_str_ne(a, b);
}
END_TEST

START_TEST(test_key_valid)
{
	ck_assert_int_eq(auth_key_valid(GOOD_KEY), 1);
	ck_assert_int_eq(auth_key_valid("oms_-_-_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 1);
	ck_assert_int_eq(auth_key_valid(""), 0);
	ck_assert_int_eq(auth_key_valid("oms_"), 0);
	/* wrong prefix, one short, one long, bad characters */
	ck_assert_int_eq(auth_key_valid("omx_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	ck_assert_int_eq(auth_key_valid("oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 0);
	ck_assert_int_eq(auth_key_valid(GOOD_KEY "A"), 0);
	ck_assert_int_eq(auth_key_valid("oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), 0);
	ck_assert_int_eq(auth_key_valid("oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+"), 0);
	ck_assert_int_eq(auth_key_valid("oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "), 0);
}
END_TEST

START_TEST(test_bearer_good)
{
	char key[AUTH_KEY_SIZE];

	ck_assert_int_eq(auth_parse_bearer("Bearer " GOOD_KEY, key), OMS_OK);
	ck_assert_str_eq(key, GOOD_KEY);
	memset(key, 0, sizeof(key));
	ck_assert_int_eq(auth_parse_bearer("bEARER " GOOD_KEY, key), OMS_OK);
	ck_assert_str_eq(key, GOOD_KEY);
}
END_TEST

static const char *const bad_headers[] = {
	"",					/* empty */
	"Bearer",				/* no key */
	"Bearer ",				/* empty key */
	"Basic " GOOD_KEY,			/* wrong scheme */
	"Bearerx " GOOD_KEY,
	"Token " GOOD_KEY,
	GOOD_KEY,				/* no scheme */
	"Bearer  " GOOD_KEY,			/* two spaces */
	" Bearer " GOOD_KEY,			/* leading space */
	"Bearer\t" GOOD_KEY,			/* tab */
	"Bearer " GOOD_KEY " ",			/* trailing space */
	"Bearer " GOOD_KEY "A",			/* too long */
	"Bearer " GOOD_KEY GOOD_KEY GOOD_KEY,	/* much too long */
	"Bearer oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* short */
	"Bearer oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/A",	/* charset */
	"Bearer oms_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nA",
	"Bearer sk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",	/* prefix */
};

START_TEST(test_bearer_bad)
{
	char key[AUTH_KEY_SIZE];

	ck_assert_msg(auth_parse_bearer(bad_headers[_i], key) == OMS_EAUTH,
	    "accepted header #%d", _i);
}
END_TEST

START_TEST(test_bearer_missing)
{
	char key[AUTH_KEY_SIZE];

	ck_assert_int_eq(auth_parse_bearer(NULL, key), OMS_EAUTH);
}
END_TEST

/* A malformed header is refused without a Redis call; a well-formed one
 * reaches Redis, which is down here: OMS_EUNAVAIL, not OMS_EAUTH. */
START_TEST(test_lookup_without_redis)
{
	struct oms_principal p;
	struct store *st;
	char err[128];

	log_init("check_auth", LOG_LEVEL_ERROR, LOG_FORMAT_TEXT);
	st = store_new("redis://127.0.0.1:1/0", NULL, "oms-fcgi", 200, err,
	    sizeof(err));
	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(auth_lookup(st, NULL, &p), OMS_EAUTH);
	ck_assert_int_eq(p.role, AUTH_ROLE_NONE);
	ck_assert_int_eq(auth_lookup(st, "Bearer x", &p), OMS_EAUTH);
	ck_assert_int_eq(auth_lookup(st, "Basic " GOOD_KEY, &p), OMS_EAUTH);
	ck_assert_str_eq(store_errstr(st), "not connected");
	ck_assert_int_eq(auth_lookup(st, "Bearer " GOOD_KEY, &p), OMS_EUNAVAIL);
	ck_assert_str_ne(store_errstr(st), "not connected");
	store_free(st);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite	*s = suite_create("auth");

#define ADD(name, fn) unit_add(s, name, fn, NULL, NULL)
#define ADD_LOOP(name, fn, arr) unit_add_loop(s, name, fn, \
	    (int)(sizeof(arr) / sizeof(arr[0])), NULL, NULL)
	ADD("roles", test_roles);
	ADD("customer_id", test_customer_id);
	ADD("name", test_name);
	ADD_LOOP("b64url_vectors", test_b64url_vectors, b64_vectors);
	ADD("b64url_alphabet", test_b64url_alphabet);
	ADD("b64url_small_buffer", test_b64url_small_buffer);
	ADD("hash_vectors", test_hash_vectors);
	ADD("generate", test_generate);
	ADD("key_valid", test_key_valid);
	ADD("bearer_good", test_bearer_good);
	ADD_LOOP("bearer_bad", test_bearer_bad, bad_headers);
	ADD("bearer_missing", test_bearer_missing);
	ADD("lookup_without_redis", test_lookup_without_redis);
#undef ADD
#undef ADD_LOOP
	return s;
}

int
main(void)
{
	return unit_run(auth_suite());
}
