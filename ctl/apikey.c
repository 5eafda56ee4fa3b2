/*
 * `omsctl apikey create|list|revoke`: the command line over lib/auth.c.
 * A new key is printed once, on stdout (first line, or the "key" member
 * with --json), and then wiped from memory; list and revoke deal in key
 * ids (the first 12 hex digits of the key's SHA-256), never in keys.
 * Usage errors are detected before Redis is contacted.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "json.h"
#include "log.h"
#include "omsctl.h"
#include "store.h"

#define ROLES	"customer, shipper or admin"

void
apikey_usage(FILE *out)
{
	fprintf(out,
	    "  apikey create --role=ROLE [--customer-id=ID] --name=NAME [--json]\n"
	    "        create a key and print it once (ROLE: " ROLES "; a\n"
	    "        customer key needs --customer-id, 1..64 characters of\n"
	    "        A-Z a-z 0-9 _ . : -; NAME: 1..64 printable ASCII characters)\n"
	    "  apikey list [--json]\n"
	    "        list the keys: id, role, customer id, created at, name\n"
	    "  apikey revoke ID|KEY\n"
	    "        delete a key, named by its id (12 hex digits, or a longer\n"
	    "        prefix of its SHA-256) or by the key itself\n");
}

static void	apikey_err(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* Prints "omsctl: apikey CMD: <message>" on stderr. */
static void
apikey_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "omsctl: apikey %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Handles --help and unknown options of a subcommand: ch is getopt's. */
static int
apikey_badopt(int ch)
{
	if (ch == 'h') {
		printf("Usage: omsctl apikey SUBCOMMAND [OPTION]...\n");
		apikey_usage(stdout);
		return OMSCTL_OK;
	}
	fprintf(stderr, "Try 'omsctl apikey --help' for more information.\n");
	return OMSCTL_USAGE;
}

/* Explains a failed auth_* call on stderr; returns the exit status. */
static int
apikey_fail(const char *cmd, struct store *st, enum oms_err rc)
{
	const char *why = store_errstr(st);

	if (rc == OMS_EUNAVAIL && strcmp(why, "connected") == 0)
		why = "Redis refused the command (see above)";
	if (rc == OMS_EUNAVAIL)
		fprintf(stderr, "omsctl: apikey %s: Redis is unavailable: "
		    "%s\n", cmd, why);
	else
		fprintf(stderr, "omsctl: apikey %s: %s\n", cmd,
		    oms_strerror(rc));
	return OMSCTL_FAIL;
}

/* Returns a new JSON object (owned) describing info, without the key. */
static struct json_object *
apikey_json(const struct auth_key_info *info)
{
	struct json_object *o = json_object_new_object();

	if (o == NULL)
		fatalx("json: out of memory");
	json_add_str(o, "id", info->id);
	json_add_str(o, "role", auth_role_name(info->role));
	json_add_str(o, "customerId", info->customer_id[0] != '\0' ?
	    info->customer_id : NULL);
	json_add_str(o, "name", info->name);
	json_add_str(o, "createdAt", info->created_at);
	return o;
}

/* Resets getopt for a command's own arguments; argv[0] names the command
 * in getopt's messages. */
static void
apikey_getopt_reset(char *argv[], char *prog, size_t len, const char *cmd)
{
	snprintf(prog, len, "omsctl apikey %s", cmd);
	argv[0] = prog;
	optind = 0;
}

static int
apikey_create(int argc, char *argv[], const struct oms_config *cfg)
{
	static const struct option longopts[] = {
		{ "role",	 required_argument, NULL, 'r' },
		{ "customer-id", required_argument, NULL, 'c' },
		{ "name",	 required_argument, NULL, 'n' },
		{ "json",	 no_argument,	    NULL, 'j' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *role_s = NULL, *cid = NULL, *name = NULL;
	struct auth_key_info info;
	struct store *st;
	enum auth_role role;
	enum oms_err rc;
	char key[AUTH_KEY_SIZE], prog[64];
	int ch, json = 0;

	apikey_getopt_reset(argv, prog, sizeof(prog), "create");
	while ((ch = getopt_long(argc, argv, "r:c:n:jh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'r': role_s = optarg; break;
		case 'c': cid = optarg; break;
		case 'n': name = optarg; break;
		case 'j': json = 1; break;
		default: return apikey_badopt(ch);
		}
	}
	if (optind < argc) {
		apikey_err("create", "unexpected argument '%s'", argv[optind]);
		return OMSCTL_USAGE;
	}
	if (role_s == NULL) {
		apikey_err("create", "--role is required (" ROLES ")");
		return OMSCTL_USAGE;
	}
	if (auth_role_parse(role_s, &role) == -1) {
		apikey_err("create", "unknown role '%s' (" ROLES ")", role_s);
		return OMSCTL_USAGE;
	}
	if (role == AUTH_ROLE_CUSTOMER && cid == NULL) {
		apikey_err("create", "--customer-id is required for role "
		    "customer");
		return OMSCTL_USAGE;
	}
	if (role != AUTH_ROLE_CUSTOMER && cid != NULL) {
		apikey_err("create", "--customer-id applies only to role "
		    "customer, not %s", role_s);
		return OMSCTL_USAGE;
	}
	if (cid != NULL && !auth_customer_id_valid(cid)) {
		apikey_err("create", "invalid --customer-id '%s': 1..64 "
		    "characters of A-Z a-z 0-9 _ . : -", cid);
		return OMSCTL_USAGE;
	}
	if (name == NULL || !auth_name_valid(name)) {
		apikey_err("create", "--name=NAME is required: 1..64 "
		    "printable ASCII characters");
		return OMSCTL_USAGE;
	}

	if ((st = omsctl_store(cfg)) == NULL)
		return OMSCTL_FAIL;
	rc = auth_create(st, role, cid, name, key, &info);
	if (rc != OMS_OK) {
		ch = apikey_fail("create", st, rc);
		store_free(st);
		return ch;
	}
	store_free(st);
	if (json) {
		/* the key goes straight to stdout, not into a json-c copy;
		 * its characters need no JSON escaping */
		struct json_object *o = apikey_json(&info);

		printf("{\"key\":\"%s\",%s\n", key, json_dump(o, NULL) + 1);
		json_object_put(o);
	} else {
		printf("%s\nid: %s\nrole: %s\n", key, info.id,
		    auth_role_name(role));
		if (cid != NULL)
			printf("customerId: %s\n", cid);
		printf("name: %s\ncreatedAt: %s\n", info.name, info.created_at);
	}
	fflush(stdout);
	explicit_bzero(key, sizeof(key));
	if (!json)
		fprintf(stderr, "omsctl: store this key now: it cannot be "
		    "shown again (Redis keeps only its SHA-256)\n");
	return ferror(stdout) ? OMSCTL_FAIL : OMSCTL_OK;
}

static int
apikey_list(int argc, char *argv[], const struct oms_config *cfg)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct auth_key_info *v;
	struct store *st;
	enum oms_err rc;
	char prog[64];
	size_t n, i;
	int ch, json = 0;

	apikey_getopt_reset(argv, prog, sizeof(prog), "list");
	while ((ch = getopt_long(argc, argv, "jh", longopts, NULL)) != -1) {
		if (ch != 'j')
			return apikey_badopt(ch);
		json = 1;
	}
	if (optind < argc) {
		apikey_err("list", "unexpected argument '%s'", argv[optind]);
		return OMSCTL_USAGE;
	}
	if ((st = omsctl_store(cfg)) == NULL)
		return OMSCTL_FAIL;
	rc = auth_list(st, &v, &n);
	if (rc != OMS_OK) {
		ch = apikey_fail("list", st, rc);
		store_free(st);
		return ch;
	}
	store_free(st);
	if (json) {
		struct json_object *arr = json_object_new_array();

		if (arr == NULL)
			fatalx("json: out of memory");
		for (i = 0; i < n; i++)	/* the array takes the reference */
			json_object_array_add(arr, apikey_json(&v[i]));
		printf("%s\n", json_dump(arr, NULL));
		json_object_put(arr);
	} else {
		printf("%-12s  %-8s  %-20s  %-24s  %s\n", "ID", "ROLE",
		    "CUSTOMER", "CREATED", "NAME");
		for (i = 0; i < n; i++)
			printf("%-12s  %-8s  %-20s  %-24s  %s\n", v[i].id,
			    auth_role_name(v[i].role), v[i].customer_id[0] ?
			    v[i].customer_id : "-", v[i].created_at, v[i].name);
	}
	free(v);
	return fflush(stdout) == 0 && !ferror(stdout) ? OMSCTL_OK : OMSCTL_FAIL;
}

static int
apikey_revoke(int argc, char *argv[], const struct oms_config *cfg)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct store *st;
	enum oms_err rc;
	char prog[64], id[AUTH_HASH_SIZE], *arg;
	int ch;

	apikey_getopt_reset(argv, prog, sizeof(prog), "revoke");
	if ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1)
		return apikey_badopt(ch);
	if (argc - optind != 1) {
		apikey_err("revoke", "wants exactly one key id");
		return OMSCTL_USAGE;
	}
	arg = argv[optind];
	/* name a key by its id in messages, never by the key itself */
	if (strncmp(arg, AUTH_KEY_PREFIX, strlen(AUTH_KEY_PREFIX)) == 0 &&
	    !auth_key_valid(arg)) {
		apikey_err("revoke", "malformed API key (expected %s and 43 "
		    "base64url characters)", AUTH_KEY_PREFIX);
		return OMSCTL_USAGE;
	}
	if (auth_key_valid(arg)) {
		if (auth_key_hash(arg, id) == -1)
			return OMSCTL_FAIL;
		id[AUTH_ID_LEN] = '\0';
	} else
		snprintf(id, sizeof(id), "%s", arg);	/* truncates at 64 */
	if ((st = omsctl_store(cfg)) == NULL)
		return OMSCTL_FAIL;
	rc = auth_revoke(st, arg);
	explicit_bzero(arg, strlen(arg));	/* a key in argv: hide it */
	if (rc == OMS_EINVAL)
		apikey_err("revoke", "'%s' is neither a key id (12 to 64 "
		    "lower-case hex digits) nor an API key", id);
	else if (rc == OMS_ENOTFOUND)
		apikey_err("revoke", "no API key with id %s", id);
	else if (rc == OMS_ECONFLICT)
		apikey_err("revoke", "id %s matches several keys: give more "
		    "digits", id);
	else if (rc != OMS_OK)
		apikey_fail("revoke", st, rc);
	else
		printf("revoked %.*s\n", AUTH_ID_LEN, id);
	store_free(st);
	return rc == OMS_OK ? OMSCTL_OK : rc == OMS_EINVAL ? OMSCTL_USAGE :
	    OMSCTL_FAIL;
}

int
apikey_main(int argc, char *argv[], const struct oms_config *cfg)
{
	const char *sub = argc > 1 ? argv[1] : NULL;

	if (sub != NULL && (strcmp(sub, "--help") == 0 ||
	    strcmp(sub, "-h") == 0)) {
		printf("Usage: omsctl apikey SUBCOMMAND [OPTION]...\n");
		apikey_usage(stdout);
		return OMSCTL_OK;
	}
	if (sub != NULL && strcmp(sub, "create") == 0)
		return apikey_create(argc - 1, argv + 1, cfg);
	if (sub != NULL && strcmp(sub, "list") == 0)
		return apikey_list(argc - 1, argv + 1, cfg);
	if (sub != NULL && strcmp(sub, "revoke") == 0)
		return apikey_revoke(argc - 1, argv + 1, cfg);
	if (sub == NULL)
		fprintf(stderr, "omsctl: apikey: missing subcommand "
		    "(create, list or revoke)\n");
	else
		fprintf(stderr, "omsctl: apikey: unknown subcommand '%s' "
		    "(create, list or revoke)\n", sub);
	fprintf(stderr, "Try 'omsctl --help' for more information.\n");
	return OMSCTL_USAGE;
}
