/*
 * API keys (DESIGN.md section 4): generation, hashing, the Bearer header,
 * and the key records in Redis (section 7). A key is "oms_" followed by
 * the unpadded base64url form of 32 random bytes; Redis holds only the
 * SHA-256 of the whole key. The id shown to people is the first 12 hex
 * digits of that hash. Keys are secrets: never log them, and wipe every
 * buffer that held one with explicit_bzero() when done.
 */
#ifndef OMS_AUTH_H
#define OMS_AUTH_H

#include <stddef.h>

#include "err.h"

struct store;

#define AUTH_KEY_PREFIX		"oms_"
#define AUTH_KEY_RAW		32	/* random bytes in a key */
#define AUTH_KEY_LEN		47	/* "oms_" + 43 base64url characters */
#define AUTH_KEY_SIZE		(AUTH_KEY_LEN + 1)
#define AUTH_HASH_LEN		64	/* hex SHA-256 */
#define AUTH_HASH_SIZE		(AUTH_HASH_LEN + 1)
#define AUTH_ID_LEN		12	/* hash prefix shown as the key's id */
#define AUTH_ID_SIZE		(AUTH_ID_LEN + 1)
#define AUTH_CUSTOMER_MAX	64	/* customer ids: [A-Za-z0-9_.:-]{1,64} */
#define AUTH_NAME_MAX		64	/* names: 1..64 printable ASCII */
#define AUTH_TIME_SIZE		32	/* 2026-11-25T11:00:00.123Z */

enum auth_role {
	AUTH_ROLE_NONE = 0,
	AUTH_ROLE_CUSTOMER,
	AUTH_ROLE_SHIPPER,
	AUTH_ROLE_ADMIN
};

/* Who made a request: filled by auth_lookup(). */
struct oms_principal {
	enum auth_role	 role;
	char		 customer_id[AUTH_CUSTOMER_MAX + 1];	/* customers only */
	char		 key_id[AUTH_ID_SIZE];	/* safe to log */
};

/* One key's record, as stored (never the key itself). */
struct auth_key_info {
	char		 hash[AUTH_HASH_SIZE];
	char		 id[AUTH_ID_SIZE];
	enum auth_role	 role;
	char		 customer_id[AUTH_CUSTOMER_MAX + 1];	/* "" unless customer */
	char		 name[AUTH_NAME_MAX + 1];
	char		 created_at[AUTH_TIME_SIZE];
};

/* "customer", "shipper", "admin"; NULL for AUTH_ROLE_NONE or unknown. */
const char	*auth_role_name(enum auth_role role);
/* Parses a role name (exact, lower case). Returns 0, or -1 if unknown. */
int		 auth_role_parse(const char *s, enum auth_role *out);

/* Return 1 when s is a valid customer id / key name, else 0. */
int		 auth_customer_id_valid(const char *s);
int		 auth_name_valid(const char *s);

/* Writes the unpadded base64url form of len bytes of in, NUL-terminated,
 * to out, which must have room for the padded form and a NUL
 * (4 * ceil(len / 3) + 1 bytes). Returns its length, or -1 (out
 * untouched) if outlen is too small. */
int		 auth_b64url_encode(const unsigned char *in, size_t len,
		    char *out, size_t outlen);

/* Returns 1 when key has the form of an API key (prefix, length,
 * charset), else 0. No Redis involved. */
int		 auth_key_valid(const char *key);

/* Writes a new random key to out (getrandom(2)). OMS_OK, or OMS_EIO. */
enum oms_err	 auth_key_generate(char out[AUTH_KEY_SIZE]);

/* Writes the lower-case hex SHA-256 of the string key to hex. Returns 0,
 * or -1 if libcrypto fails. */
int		 auth_key_hash(const char *key, char hex[AUTH_HASH_SIZE]);

/* Extracts the key from an Authorization header value: "Bearer" (any
 * case), exactly one space, then a key for which auth_key_valid() holds.
 * OMS_OK with the key in key (wipe it after use), or OMS_EAUTH for a
 * missing (NULL) or malformed header. */
enum oms_err	 auth_parse_bearer(const char *header, char key[AUTH_KEY_SIZE]);

/* Authenticates an Authorization header value: parses it (no Redis call
 * for a malformed one), then reads the key's record. OMS_OK with *out
 * filled; OMS_EAUTH for a missing, malformed or unknown key (or a corrupt
 * record, logged by id); OMS_EUNAVAIL when Redis cannot answer. */
enum oms_err	 auth_lookup(struct store *st, const char *authorization,
		    struct oms_principal *out);

/* Creates a key for role (customer_id required for, and only for,
 * customers; name required) and stores its record. On OMS_OK key_out
 * holds the key (the caller shows it once, then wipes it) and *info the
 * record. OMS_EINVAL for bad arguments, OMS_EIO if no randomness,
 * OMS_EUNAVAIL if Redis failed. */
enum oms_err	 auth_create(struct store *st, enum auth_role role,
		    const char *customer_id, const char *name,
		    char key_out[AUTH_KEY_SIZE], struct auth_key_info *info);

/* Deletes one key's record, named by its id (12 hex digits), a longer
 * hash prefix, the full hash, or the key itself. OMS_OK; OMS_EINVAL for
 * none of these forms; OMS_ENOTFOUND; OMS_ECONFLICT if a prefix matches
 * several keys; OMS_EUNAVAIL if Redis failed. */
enum oms_err	 auth_revoke(struct store *st, const char *id_or_key);

/* Reads every key's record, sorted by createdAt then id. On OMS_OK *out is
 * an array of *n records the caller owns (free it with free(); NULL when
 * *n is 0). OMS_EUNAVAIL if Redis failed. */
enum oms_err	 auth_list(struct store *st, struct auth_key_info **out,
		    size_t *n);

#endif
