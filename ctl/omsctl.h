/*
 * omsctl — the oms administration CLI. main.c reads the global options and
 * the configuration and hands each command (`apikey`, ...) to its module.
 * Exit statuses: OMSCTL_OK, OMSCTL_FAIL (runtime error: Redis down, key
 * not found), OMSCTL_USAGE (bad command line).
 */
#ifndef OMS_OMSCTL_H
#define OMS_OMSCTL_H

#include <stdio.h>

struct oms_config;
struct store;
struct mq;

#define OMSCTL_OK	0
#define OMSCTL_FAIL	1
#define OMSCTL_USAGE	2

#define OMSCTL_REDIS_USER	"omsctl"
#define OMSCTL_TIMEOUT_MS	5000

/* Opens a Redis client from cfg as ACL user "omsctl" unless the URL names
 * one. Returns NULL after printing the reason on stderr. The caller owns
 * the result; free it with store_free(). */
struct store	*omsctl_store(const struct oms_config *cfg);

/* Opens a RabbitMQ client from cfg as user "omsctl" unless the URL names
 * one. Returns NULL after printing the reason. Free with mq_free(). */
struct mq	*omsctl_mq(const struct oms_config *cfg);

/* The other commands: usage lines and entry points (argv[0] is the
 * command word); each returns an exit status. */
void		 order_usage(FILE *out);
int		 order_main(int argc, char *argv[], const struct oms_config *cfg);
void		 dlq_usage(FILE *out);
int		 dlq_main(int argc, char *argv[], const struct oms_config *cfg);
void		 check_usage(FILE *out);
int		 check_main(int argc, char *argv[], const struct oms_config *cfg);
void		 webhook_usage(FILE *out);
int		 webhook_main(int argc, char *argv[], const struct oms_config *cfg);

/* Prints the usage of the apikey command. */
void		 apikey_usage(FILE *out);

/* Runs `omsctl apikey ARGS...`: argv[0] is "apikey". Returns an exit
 * status. */
int		 apikey_main(int argc, char *argv[], const struct oms_config *cfg);

#endif
