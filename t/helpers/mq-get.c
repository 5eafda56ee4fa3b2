/*
 * mq-get — a test helper: takes one message from a queue and prints its
 * properties as KEY=value lines, a blank line, then the body. Exit 0 with a
 * message, 3 when the queue is empty, 1 on errors. With --body it prints
 * only the body's bytes, exactly (NULs included, no newline added).
 *
 *   OMS_AMQP_URL=amqp://user:pass@host:port/vhost mq-get [--body] QUEUE
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq.h"

int
main(int argc, char *argv[])
{
	const char *url = getenv("OMS_AMQP_URL");
	struct mq_received m;
	struct mq *mq;
	char err[256];
	enum oms_err rc;
	int body_only = argc == 3 && strcmp(argv[1], "--body") == 0;

	if (body_only) {
		argv++;
		argc--;
	}
	if (argc != 2 || url == NULL) {
		fprintf(stderr, "usage: OMS_AMQP_URL=... mq-get [--body] "
		    "QUEUE\n");
		return 2;
	}
	if ((mq = mq_new(url, NULL, "oms-admin", 3000, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "mq-get: %s\n", err);
		return 2;
	}
	rc = mq_get(mq, argv[1], &m);
	if (rc == OMS_OK && body_only) {
		fwrite(m.body, 1, m.len, stdout);
		mq_received_clear(&m);
	} else if (rc == OMS_OK) {
		printf("ROUTING_KEY=%s\nMESSAGE_ID=%s\nCORRELATION_ID=%s\n"
		    "TYPE=%s\nAPP_ID=%s\nUSER_ID=%s\nCONTENT_TYPE=%s\n"
		    "DELIVERY_MODE=%d\nTIMESTAMP=%" PRIu64 "\n\n",
		    m.routing_key, m.message_id, m.correlation_id, m.type,
		    m.app_id, m.user_id, m.content_type, m.delivery_mode,
		    m.timestamp);
		fwrite(m.body, 1, m.len, stdout);
		putchar('\n');
		mq_received_clear(&m);
	} else if (rc != OMS_ENOTFOUND)
		fprintf(stderr, "mq-get: %s\n", mq_errstr(mq));
	mq_free(mq);
	return rc == OMS_OK ? 0 : rc == OMS_ENOTFOUND ? 3 : 1;
}
