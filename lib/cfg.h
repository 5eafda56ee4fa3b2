/*
 * The configuration of every oms program: one struct, filled in main()
 * before forking from, in increasing priority, built-in defaults, the
 * environment (OMS_<NAME>, and OMS_<NAME>_FILE for secrets) and
 * command-line flags; read-only afterwards.
 */
#ifndef OMS_CFG_H
#define OMS_CFG_H

#include <stddef.h>
#include <stdio.h>

#include "log.h"

struct oms_config {
	char		*amqp_url;		/* AMQP_URL */
	char		*amqp_password;		/* AMQP_PASSWORD (secret) */
	char		*redis_url;		/* REDIS_URL */
	char		*redis_password;	/* REDIS_PASSWORD (secret) */
	int		 redis_min_replicas;	/* REDIS_MIN_REPLICAS */
	int		 redis_wait_ms;		/* REDIS_WAIT_MS */
	char		*fcgi_listen;		/* FCGI_LISTEN: unix path or host:port */
	int		 fcgi_socket_mode;	/* FCGI_SOCKET_MODE: octal, unix socket */
	int		 fcgi_processes;	/* FCGI_PROCESSES */
	int		 fcgi_threads;	/* FCGI_THREADS: requests at once */
	int		 fcgi_max_requests;	/* FCGI_MAX_REQUESTS, 0 = no limit */
	int		 fcgi_max_waiting;	/* FCGI_MAX_WAITING, 0 = auto */
	int		 worker_processes;	/* WORKER_PROCESSES */
	int		 worker_prefetch;	/* WORKER_PREFETCH, 0: INFLIGHT */
	int		 worker_inflight;	/* WORKER_INFLIGHT */
	char		*payment_url;		/* PAYMENT_URL */
	char		*shipping_url;		/* SHIPPING_URL */
	int		 provider_timeout_ms;	/* PROVIDER_TIMEOUT_MS */
	char		*provider_ca_file;	/* PROVIDER_CA_FILE */
	enum log_level	 log_level;		/* LOG_LEVEL */
	enum log_format	 log_format;		/* LOG_FORMAT */
	int		 payment_delay_ms;	/* PAYMENT_DELAY_MS */
	int		 shipping_delay_ms;	/* SHIPPING_DELAY_MS */
	char		*payment_token;		/* PAYMENT_TOKEN (secret) */
	char		*shipping_token;	/* SHIPPING_TOKEN (secret) */
	char		*provider_sim_listen;	/* PROVIDER_SIM_LISTEN: host:port */
	int		 provider_sim_jitter_pct; /* PROVIDER_SIM_JITTER_PCT */
	long		 max_body_bytes;	/* MAX_BODY_BYTES */
	int		 require_prices;	/* REQUIRE_PRICES: 0 or 1 */
	int		 require_address;	/* REQUIRE_ADDRESS: 0 or 1 */
	int		 stop_timeout_ms;	/* STOP_TIMEOUT_MS */
	char		*redis_functions;	/* REDIS_FUNCTIONS: oms.lua path */
	char		*user;			/* USER: run as, when root */
};

/* Fills cfg with the built-in defaults (strings owned by cfg). */
void	cfg_defaults(struct oms_config *cfg);

/* Applies the environment: for each known NAME, OMS_NAME, or for secrets
 * also OMS_NAME_FILE (the file's content, one trailing newline removed).
 * Both set, an unreadable file or a bad value is an error. Returns 0, or
 * -1 with a message naming the variable (never its secret value) in err. */
int	cfg_load_env(struct oms_config *cfg, char *err, size_t errlen);

/* Sets one option by NAME (without the OMS_ prefix, e.g. "FCGI_PROCESSES")
 * from text, as a flag would. Returns 0, or -1 with a message in err. */
int	cfg_set(struct oms_config *cfg, const char *name, const char *value,
	    char *err, size_t errlen);

/* Prints every option, its environment name, default and meaning
 * (for --help); only the names listed in `names` (NULL-terminated),
 * or all when names is NULL. */
void	cfg_usage(FILE *out, const char *const *names);

/* Logs the effective configuration at info level, secrets redacted. */
void	cfg_log(const struct oms_config *cfg);

/* Frees cfg's strings (secrets wiped first) and zeroes it. */
void	cfg_clear(struct oms_config *cfg);

#endif
