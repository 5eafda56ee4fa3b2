/*
 * The RabbitMQ client of oms (the only module that includes rabbitmq-c).
 * One struct mq per process, opened after fork: one connection, one
 * channel. On any library or broker error the connection is destroyed and
 * reopened on next use, no sooner than a backoff delay.
 */
#ifndef OMS_MQ_H
#define OMS_MQ_H

#include "err.h"

#define OMS_MQ_EXCHANGE		"oms.commands"
#define OMS_MQ_QUEUE		"order-worker-queue"
#define OMS_MQ_DEAD_EXCHANGE	"oms.dead"
#define OMS_MQ_DEAD_QUEUE	"order-worker-queue.dead"

struct mq;

/* Creates an unconnected client for url (amqp://). password overrides the
 * URL's (may be NULL); default_user is used when the URL names none.
 * Returns NULL with a reason in err if the URL is invalid. The caller owns
 * the result; free it with mq_free(). */
struct mq	*mq_new(const char *url, const char *password,
		    const char *default_user, int timeout_ms,
		    char *err, size_t errlen);
void		 mq_free(struct mq *mq);

/* Connects if needed and checks that the broker answers and the command
 * exchange exists (a passive declare). OMS_OK or OMS_EUNAVAIL. */
enum oms_err	 mq_check(struct mq *mq);

/* The last error, for logs; never contains the password. */
const char	*mq_errstr(const struct mq *mq);

#endif
