/*
 * mq-publish — a test helper: publishes the bytes of stdin to oms.commands
 * with routing key KEY through lib/mq.c (persistent, mandatory, confirmed),
 * as the URL's user; USER_ID, when given, replaces the user_id property
 * (the broker refuses one that is not the connection's user). Exit 0 once
 * the broker confirmed it, 1 otherwise.
 *
 *   OMS_AMQP_URL=amqp://user:pass@host:port/vhost mq-publish KEY [USER_ID]
 */
#include <stdio.h>
#include <stdlib.h>

#include "mq.h"

#define BODY_MAX	(1 << 20)

int
main(int argc, char *argv[])
{
	const char *url = getenv("OMS_AMQP_URL");
	static char body[BODY_MAX];
	struct mq_message msg = { 0 };
	struct mq *mq;
	char err[256];
	size_t len;
	enum oms_err rc;

	if (argc < 2 || argc > 3 || url == NULL) {
		fprintf(stderr, "usage: OMS_AMQP_URL=... mq-publish KEY "
		    "[USER_ID] <body\n");
		return 2;
	}
	len = fread(body, 1, sizeof(body), stdin);
	if ((mq = mq_new(url, NULL, "oms-admin", 3000, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "mq-publish: %s\n", err);
		return 2;
	}
	msg.routing_key = argv[1];
	msg.message_id = "mq-publish";
	msg.app_id = "mq-publish";
	msg.user_id = argc == 3 ? argv[2] : NULL;
	msg.body = body;
	msg.len = len;
	rc = mq_publish(mq, &msg);
	if (rc != OMS_OK)
		fprintf(stderr, "mq-publish: %s\n", mq_errstr(mq));
	mq_free(mq);
	return rc == OMS_OK ? 0 : 1;
}
