/*
 * confirms.c — how many publisher confirms per second RabbitMQ gives with
 * P publishing processes that each publish W messages, then wait for
 * their confirms, and again.
 *
 * It publishes through the product's own client (lib/mq.c, compiled in):
 * each process opens its connection as an oms-fcgi child or an oms-worker
 * process does and sends persistent, mandatory commands of `size` bytes to
 * the command exchange. W = 1 is mq_publish, what an oms-fcgi child does
 * per request (publish, wait for the confirm); W > 1 is
 * mq_publish_nowait W times then one mq_confirm_all, what an oms-worker
 * process does with a batch of deliveries. The parent prints one line:
 * processes, window, confirmed, confirms/s.
 *
 * bench/broker builds it with cc and runs it against a private broker; it
 * is not part of the product build.
 *
 *   confirms AMQP_URL PROCESSES WINDOW SECONDS SIZE
 *   (the password comes from the environment: CONFIRMS_PASSWORD)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "mq.h"

#define CONFIRMS_TIMEOUT_MS	5000

static double
confirms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One publishing process: the number of confirmed messages, or -1. */
static long long
confirms_publish(const char *url, const char *password, int window,
    double seconds, int size)
{
	struct mq_message msg;
	struct mq *mq;
	long long confirmed = 0;
	char err[128], *body;
	double end;
	int i;

	if ((mq = mq_new(url, password, "oms-fcgi", CONFIRMS_TIMEOUT_MS, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "confirms: %s\n", err);
		return -1;
	}
	if ((body = malloc((size_t)size)) == NULL) {
		mq_free(mq);
		return -1;
	}
	memset(body, 'x', (size_t)size);
	memset(&msg, 0, sizeof(msg));
	msg.routing_key = "orders.create";
	msg.message_id = "01938a4e-0000-7000-8000-000000000000";
	msg.app_id = "bench-confirms";
	msg.body = body;
	msg.len = (size_t)size;

	end = confirms_now() + seconds;
	while (confirms_now() < end) {
		if (window == 1) {
			if (mq_publish(mq, &msg) != OMS_OK)
				goto fail;
		} else {
			for (i = 0; i < window; i++)
				if (mq_publish_nowait(mq, &msg) != OMS_OK)
					break;
			if (mq_confirm_all(mq) != OMS_OK)
				goto fail;
		}
		confirmed += window;
	}
	free(body);
	mq_free(mq);
	return confirmed;
fail:
	fprintf(stderr, "confirms: %s\n", mq_errstr(mq));
	free(body);
	mq_free(mq);
	return -1;
}

int
main(int argc, char *argv[])
{
	const char *password = getenv("CONFIRMS_PASSWORD");
	long long total = 0, n;
	int processes, window, size, fds[2], status, failed = 0;
	double seconds;
	FILE *in;

	if (argc != 6 || password == NULL) {
		fprintf(stderr, "usage: CONFIRMS_PASSWORD=... confirms AMQP_URL "
		    "PROCESSES WINDOW SECONDS SIZE\n");
		return 2;
	}
	processes = atoi(argv[2]);
	window = atoi(argv[3]);
	seconds = atof(argv[4]);
	size = atoi(argv[5]);
	if (processes < 1 || window < 1 || seconds <= 0 || size < 1) {
		fprintf(stderr, "confirms: invalid arguments\n");
		return 2;
	}
	log_init("confirms", LOG_LEVEL_WARN, LOG_FORMAT_TEXT);
	if (pipe(fds) == -1) {
		perror("confirms: pipe");
		return 1;
	}
	for (int i = 0; i < processes; i++) {
		pid_t pid = fork();

		if (pid == -1) {
			perror("confirms: fork");
			return 1;
		}
		if (pid == 0) {
			close(fds[0]);
			n = confirms_publish(argv[1], password, window, seconds,
			    size);
			dprintf(fds[1], "%lld\n", n);
			_exit(n < 0);
		}
	}
	close(fds[1]);
	if ((in = fdopen(fds[0], "r")) == NULL) {
		perror("confirms: fdopen");
		return 1;
	}
	while (fscanf(in, "%lld", &n) == 1) {
		if (n < 0)
			failed = 1;
		else
			total += n;
	}
	fclose(in);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed = 1;
	if (failed)
		return 1;
	printf("%d %d %lld %.0f\n", processes, window, total,
	    (double)total / seconds);
	return 0;
}
