/*
 * API keys. The pure half — roles, base64url, SHA-256 (libcrypto's
 * EVP_Digest), the "Bearer" header — does no I/O and is unit-tested with
 * strings. The Redis half keeps, per key, a hash oms:apikey:<sha256hex>
 * (role, customerId for customers, name, createdAt) and the set
 * oms:apikeys of every such hex hash, so that listing and revoking by id
 * read one set instead of walking the keyspace (no KEYS, no SCAN). A key
 * and its set entry are written and deleted together in MULTI/EXEC. The
 * plain key is never stored or logged; every local copy is wiped with
 * explicit_bzero(). Customer ids follow DESIGN.md's id rule.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/random.h>
#include <openssl/evp.h>

#include "auth.h"
#include "digest.h"
#include "log.h"
#include "store.h"
#include "xmalloc.h"

#define AUTH_SET	"oms:apikeys"

static const char *const auth_roles[] = { NULL, "customer", "shipper",
    "admin" };

const char *
auth_role_name(enum auth_role role)
{
	if ((size_t)role >= sizeof(auth_roles) / sizeof(auth_roles[0]))
		return NULL;
	return auth_roles[role];
}

int
auth_role_parse(const char *s, enum auth_role *out)
{
	for (size_t i = 1; s != NULL && i < sizeof(auth_roles) /
	    sizeof(auth_roles[0]); i++)
		if (strcmp(s, auth_roles[i]) == 0) {
			*out = (enum auth_role)i;
			return 0;
		}
	return -1;
}

int
auth_customer_id_valid(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_.:-");

	return n >= 1 && n <= AUTH_CUSTOMER_MAX && s[n] == '\0';
}

int
auth_name_valid(const char *s)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++)
		if (n >= AUTH_NAME_MAX || s[n] < 0x20 || s[n] > 0x7e)
			return 0;
	return n >= 1;
}

int
auth_b64url_encode(const unsigned char *in, size_t len, char *out,
    size_t outlen)
{
	size_t need = (len + 2) / 3 * 4, n;

	/* EVP_EncodeBlock writes padded base64 and a NUL: need + 1 bytes */
	if (len > 0x30000000 || need >= outlen)
		return -1;
	n = (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return (int)n;
}

int
auth_key_valid(const char *key)
{
	size_t plen = sizeof(AUTH_KEY_PREFIX) - 1;

	if (strnlen(key, AUTH_KEY_LEN + 1) != AUTH_KEY_LEN ||
	    strncmp(key, AUTH_KEY_PREFIX, plen) != 0)
		return 0;
	return strspn(key + plen, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_") == AUTH_KEY_LEN - plen;
}

enum oms_err
auth_key_generate(char out[AUTH_KEY_SIZE])
{
	unsigned char raw[AUTH_KEY_RAW];
	char b64[AUTH_KEY_RAW / 3 * 4 + 8];	/* padded form, before trimming */
	size_t got = 0, plen = sizeof(AUTH_KEY_PREFIX) - 1;

	while (got < sizeof(raw)) {
		ssize_t n;

		if ((n = getrandom(raw + got, sizeof(raw) - got, 0)) == -1) {
			if (errno == EINTR)
				continue;
			log_warn("getrandom");
			explicit_bzero(raw, sizeof(raw));
			return OMS_EIO;
		}
		got += (size_t)n;
	}
	auth_b64url_encode(raw, sizeof(raw), b64, sizeof(b64));
	memcpy(out, AUTH_KEY_PREFIX, plen);
	memcpy(out + plen, b64, AUTH_KEY_SIZE - plen);	/* 43 + NUL */
	explicit_bzero(raw, sizeof(raw));
	explicit_bzero(b64, sizeof(b64));
	return OMS_OK;
}

int
auth_key_hash(const char *key, char hex[AUTH_HASH_SIZE])
{
	return digest_sha256_hex(key, strlen(key), hex);
}

enum oms_err
auth_parse_bearer(const char *header, char key[AUTH_KEY_SIZE])
{
	if (header == NULL || strncasecmp(header, "Bearer ", 7) != 0 ||
	    !auth_key_valid(header + 7))
		return OMS_EAUTH;
	memcpy(key, header + 7, AUTH_KEY_SIZE);	/* valid: NUL at LEN */
	return OMS_OK;
}

/* Frees r; OMS_EUNAVAIL (logged) when rc failed or Redis answered an
 * error (e.g. NOPERM: the ACL does not match the code), else OMS_OK. */
static enum oms_err
auth_check(struct store *st, enum oms_err rc, struct store_reply *r,
    const char *what)
{
	if (rc != OMS_OK)
		log_debug("redis %s: %s", what, store_errstr(st));
	else if (r->type == STORE_ERROR) {
		log_warnx("redis %s: %s", what, r->str);
		rc = OMS_EUNAVAIL;
	}
	store_reply_free(r);
	return rc;
}

/* Runs fmt (one %s: arg) and wants an array reply in *out (the caller
 * frees it). OMS_OK, or OMS_EUNAVAIL (logged when Redis answered). */
static enum oms_err
auth_array(struct store *st, struct store_reply **out, const char *fmt,
    const char *arg)
{
	enum oms_err rc = store_cmd(st, out, fmt, arg);

	if (rc == OMS_OK && (*out)->type != STORE_ARRAY) {
		log_warnx("redis %.*s: %s", (int)strcspn(fmt, " "), fmt,
		    (*out)->type == STORE_ERROR ? (*out)->str :
		    "unexpected reply");
		store_reply_free(*out);
		*out = NULL;
		rc = OMS_EUNAVAIL;
	}
	return rc;
}

/* Fills info from an HGETALL reply. Returns 1, 0 for no record, -1 for
 * a record that is not one of ours. */
static int
auth_record(const struct store_reply *r, struct auth_key_info *info)
{
	const char *role = "";

	if (r->type != STORE_ARRAY || r->nelem % 2 != 0)
		return -1;
	if (r->nelem == 0)
		return 0;
	info->customer_id[0] = info->name[0] = info->created_at[0] = '\0';
	for (size_t i = 0; i < r->nelem; i += 2) {
		const char *f = r->elem[i]->str, *v = r->elem[i + 1]->str;

		if (r->elem[i]->type != STORE_STRING ||
		    r->elem[i + 1]->type != STORE_STRING)
			return -1;
		if (strcmp(f, "role") == 0)
			role = v;
		else if (strcmp(f, "customerId") == 0 &&
		    auth_customer_id_valid(v))
			snprintf(info->customer_id, sizeof(info->customer_id),
			    "%s", v);
		else if (strcmp(f, "name") == 0)
			snprintf(info->name, sizeof(info->name), "%s", v);
		else if (strcmp(f, "createdAt") == 0)
			snprintf(info->created_at, sizeof(info->created_at),
			    "%s", v);
	}
	if (auth_role_parse(role, &info->role) == -1 ||
	    (info->role == AUTH_ROLE_CUSTOMER) != (info->customer_id[0] != '\0'))
		return -1;
	return 1;
}

enum oms_err
auth_lookup(struct store *st, const char *authorization,
    struct oms_principal *out)
{
	struct auth_key_info info;
	struct store_reply *r = NULL;
	char key[AUTH_KEY_SIZE];
	enum oms_err rc;
	int found;

	memset(out, 0, sizeof(*out));
	memset(&info, 0, sizeof(info));
	if (auth_parse_bearer(authorization, key) != OMS_OK)
		return OMS_EAUTH;
	found = auth_key_hash(key, info.hash);
	explicit_bzero(key, sizeof(key));
	if (found == -1)
		return OMS_EINTERNAL;
	memcpy(info.id, info.hash, AUTH_ID_LEN);
	if ((rc = auth_array(st, &r, "HGETALL oms:apikey:%s", info.hash)) !=
	    OMS_OK)
		return rc;
	found = auth_record(r, &info);
	store_reply_free(r);
	if (found == -1)
		log_warnx("api key %s: corrupt record in Redis", info.id);
	if (found != 1)
		return OMS_EAUTH;
	out->role = info.role;
	memcpy(out->customer_id, info.customer_id, sizeof(out->customer_id));
	memcpy(out->key_id, info.id, sizeof(out->key_id));
	return OMS_OK;
}

/* Runs the commands a (na words) and b (nb words) in one MULTI/EXEC.
 * On OMS_OK *out is the EXEC reply (an array of two replies, neither an
 * error); the caller frees it. */
static enum oms_err
auth_tx(struct store *st, const char *const *a, int na, const char *const *b,
    int nb, struct store_reply **out)
{
	const char *const *cmd[2] = { a, b };
	const int ncmd[2] = { na, nb };
	struct store_reply *r = NULL;
	size_t len[10];
	enum oms_err rc;
	int i, k;

	*out = NULL;
	rc = store_cmd(st, &r, "MULTI");
	rc = auth_check(st, rc, r, "MULTI");
	for (k = 0; k < 2 && rc == OMS_OK; k++) {
		for (i = 0; i < ncmd[k]; i++)
			len[i] = strlen(cmd[k][i]);
		rc = store_cmdv(st, &r, ncmd[k], cmd[k], len);
		rc = auth_check(st, rc, r, cmd[k][0]);
	}
	if (rc != OMS_OK) {
		if (store_cmd(st, &r, "DISCARD") == OMS_OK)
			store_reply_free(r);
		return rc;
	}
	rc = store_cmd(st, &r, "EXEC");
	if (rc != OMS_OK || r->type != STORE_ARRAY || r->nelem != 2)
		return auth_check(st, rc == OMS_OK && r->type != STORE_ERROR ?
		    OMS_EUNAVAIL : rc, r, "EXEC");	/* nil: aborted */
	for (size_t j = 0; j < r->nelem; j++)
		if (r->elem[j]->type == STORE_ERROR) {
			log_warnx("redis EXEC: %s", r->elem[j]->str);
			rc = OMS_EUNAVAIL;
		}
	if (rc != OMS_OK)
		store_reply_free(r);
	else
		*out = r;
	return rc;
}

/* Writes now as RFC 3339 UTC with milliseconds. */
static void
auth_now(char buf[AUTH_TIME_SIZE])
{
	struct timespec ts;
	struct tm tm;
	char s[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, AUTH_TIME_SIZE, "%s.%03uZ", s,
	    (unsigned int)(ts.tv_nsec / 1000000) % 1000u);
}

enum oms_err
auth_create(struct store *st, enum auth_role role, const char *customer_id,
    const char *name, char key_out[AUTH_KEY_SIZE], struct auth_key_info *info)
{
	struct store_reply *r = NULL;
	char k[sizeof("oms:apikey:") + AUTH_HASH_LEN];
	const char *hset[10] = { "HSET", k, "role", auth_role_name(role),
	    "name", name, "createdAt", info->created_at, "customerId",
	    customer_id };
	const char *sadd[3] = { "SADD", AUTH_SET, info->hash };
	enum oms_err rc;

	memset(info, 0, sizeof(*info));
	if (hset[3] == NULL || name == NULL || !auth_name_valid(name) ||
	    (role == AUTH_ROLE_CUSTOMER) != (customer_id != NULL) ||
	    (customer_id != NULL && !auth_customer_id_valid(customer_id)))
		return OMS_EINVAL;
	if ((rc = auth_key_generate(key_out)) != OMS_OK)
		return rc;
	if (auth_key_hash(key_out, info->hash) == -1) {
		explicit_bzero(key_out, AUTH_KEY_SIZE);
		return OMS_EINTERNAL;
	}
	memcpy(info->id, info->hash, AUTH_ID_LEN);
	info->role = role;
	snprintf(info->customer_id, sizeof(info->customer_id), "%s",
	    customer_id != NULL ? customer_id : "");
	snprintf(info->name, sizeof(info->name), "%s", name);
	auth_now(info->created_at);
	snprintf(k, sizeof(k), "oms:apikey:%s", info->hash);
	rc = auth_tx(st, hset, customer_id != NULL ? 10 : 8, sadd, 3, &r);
	store_reply_free(r);
	if (rc != OMS_OK)
		explicit_bzero(key_out, AUTH_KEY_SIZE);
	return rc;
}

/* Finds the one member of oms:apikeys that starts with prefix. */
static enum oms_err
auth_find(struct store *st, const char *prefix, char hash[AUTH_HASH_SIZE])
{
	struct store_reply *r = NULL;
	size_t n = strlen(prefix), hits = 0;
	enum oms_err rc;

	if ((rc = auth_array(st, &r, "SMEMBERS %s", AUTH_SET)) != OMS_OK)
		return rc;
	for (size_t i = 0; i < r->nelem; i++)
		if (r->elem[i]->len == AUTH_HASH_LEN &&
		    strncmp(r->elem[i]->str, prefix, n) == 0 && hits++ == 0)
			memcpy(hash, r->elem[i]->str, AUTH_HASH_SIZE);
	store_reply_free(r);
	return hits == 0 ? OMS_ENOTFOUND : hits > 1 ? OMS_ECONFLICT : OMS_OK;
}

enum oms_err
auth_revoke(struct store *st, const char *id_or_key)
{
	struct store_reply *r = NULL;
	char hash[AUTH_HASH_SIZE], k[sizeof("oms:apikey:") + AUTH_HASH_LEN];
	const char *del[2] = { "DEL", k }, *srem[3] = { "SREM", AUTH_SET, hash };
	size_t n = strnlen(id_or_key, AUTH_HASH_LEN + 1);
	enum oms_err rc;

	if (auth_key_valid(id_or_key)) {
		if (auth_key_hash(id_or_key, hash) == -1)
			return OMS_EINTERNAL;
	} else {
		if (n < AUTH_ID_LEN || n > AUTH_HASH_LEN ||
		    strspn(id_or_key, "0123456789abcdef") != n)
			return OMS_EINVAL;
		if (n == AUTH_HASH_LEN)
			memcpy(hash, id_or_key, sizeof(hash));
		else if ((rc = auth_find(st, id_or_key, hash)) != OMS_OK)
			return rc;
	}
	snprintf(k, sizeof(k), "oms:apikey:%s", hash);
	if ((rc = auth_tx(st, del, 2, srem, 3, &r)) != OMS_OK)
		return rc;
	if (r->elem[0]->type != STORE_INTEGER ||
	    r->elem[1]->type != STORE_INTEGER)
		rc = OMS_EUNAVAIL;
	else if (r->elem[0]->integer == 0 && r->elem[1]->integer == 0)
		rc = OMS_ENOTFOUND;
	store_reply_free(r);
	return rc;
}

static int
auth_info_cmp(const void *a, const void *b)
{
	const struct auth_key_info *x = a, *y = b;
	int c = strcmp(x->created_at, y->created_at);

	return c != 0 ? c : strcmp(x->hash, y->hash);
}

enum oms_err
auth_list(struct store *st, struct auth_key_info **out, size_t *n)
{
	struct store_reply *set = NULL, *r = NULL;
	struct auth_key_info *v;
	enum oms_err rc;
	int found;

	*out = NULL;
	*n = 0;
	if ((rc = auth_array(st, &set, "SMEMBERS %s", AUTH_SET)) != OMS_OK)
		return rc;
	v = xcalloc(set->nelem > 0 ? set->nelem : 1, sizeof(*v));
	for (size_t i = 0; i < set->nelem && rc == OMS_OK; i++) {
		if (set->elem[i]->len != AUTH_HASH_LEN)
			continue;
		if ((rc = auth_array(st, &r, "HGETALL oms:apikey:%s",
		    set->elem[i]->str)) != OMS_OK)
			break;
		memcpy(v[*n].hash, set->elem[i]->str, AUTH_HASH_SIZE);
		memcpy(v[*n].id, v[*n].hash, AUTH_ID_LEN);
		if ((found = auth_record(r, &v[*n])) == 1)
			(*n)++;
		else
			log_warnx("api key %.12s: %s", set->elem[i]->str,
			    found == 0 ? "listed but has no record" :
			    "corrupt record");
		store_reply_free(r);
	}
	store_reply_free(set);
	if (rc != OMS_OK || *n == 0) {
		free(v);
		*n = 0;
		return rc;
	}
	qsort(v, *n, sizeof(*v), auth_info_cmp);
	*out = v;
	return OMS_OK;
}
