/*
 * The confirm window of one oms-fcgi child (confirm.c): one thread owns
 * the child's RabbitMQ client; the request threads hand it their
 * publishes, which it sends back to back on the one channel, and each
 * request thread sleeps until the broker's confirm of *its* message (or
 * the failure that covers it) has come.
 */
#ifndef OMS_CONFIRM_H
#define OMS_CONFIRM_H

#include <stddef.h>

#include "err.h"
#include "mq.h"

struct confirm;

/* Creates the window over mq, whose ownership it takes (freed by
 * confirm_free); timeout_ms bounds the wait for one confirm. The caller
 * owns the result. NULL when a thread primitive cannot be made. */
struct confirm	*confirm_new(struct mq *mq, int timeout_ms);
void		 confirm_free(struct confirm *c);

/* The loop of the thread that owns the client: sends what was handed
 * over, reads confirms, fails what timed out. Returns once confirm_quit
 * was called and nothing is queued or in flight. arg: the struct
 * confirm. */
void		*confirm_main(void *arg);
void		 confirm_quit(struct confirm *c);

/* From a request thread: publishes m (borrowed until the call returns)
 * and waits until the broker confirmed it (OMS_OK) or the publish failed
 * (OMS_EUNAVAIL: not sent, nacked, no confirm in time, or the connection
 * was lost; then the message may or may not be enqueued). A message lost
 * with a connection that was already open before it was sent (the broker
 * may have dropped an idle one) is sent once more on a fresh one, as
 * mq_publish does. On failure the reason is copied to err. */
enum oms_err	 confirm_publish(struct confirm *c, const struct mq_message *m,
		    char *err, size_t errlen);

/* From a request thread: runs fn(mq, arg) in the owner thread, between
 * publishes (for a synchronous call such as mq_check or mq_queue_info),
 * and returns what fn returned; mq_errstr is copied to err. */
typedef enum oms_err	(*confirm_call_fn)(struct mq *mq, void *arg);
enum oms_err	 confirm_call(struct confirm *c, confirm_call_fn fn, void *arg,
		    char *err, size_t errlen);

#endif
