/*
 * confirms.c — how many publisher confirms per second RabbitMQ gives with
 * P publishing processes that each keep up to W messages unconfirmed.
 *
 * Each process opens its own connection (as an oms-fcgi child or an
 * oms-worker process does), publishes persistent, mandatory messages of
 * `size` bytes with the properties oms sets to the command exchange, and
 * counts the broker's acks (single or `multiple`) for `seconds`; then it
 * waits for the last confirms and reports. W = 1 is what oms-fcgi does per
 * child today (publish, wait, answer); W > 1 is a confirm window. The
 * parent prints one line: processes, window, confirmed, confirms/s.
 *
 * bench/broker builds it with cc and runs it against a private broker; it
 * is not part of the product build.
 *
 *   confirms HOST PORT VHOST USER PROCESSES WINDOW SECONDS SIZE
 *   (the password is read from the environment: CONFIRMS_PASSWORD)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <amqp.h>
#include <amqp_tcp_socket.h>

#define CONFIRMS_CHANNEL	1
#define CONFIRMS_EXCHANGE	"oms.commands"
#define CONFIRMS_KEY		"orders.create"

struct confirms_args {
	const char	*host, *vhost, *user, *password;
	int		 port, processes, window, size;
	double		 seconds;
};

static double
confirms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static amqp_connection_state_t
confirms_connect(const struct confirms_args *a)
{
	amqp_connection_state_t conn = amqp_new_connection();
	amqp_socket_t *sock;

	if (conn == NULL || (sock = amqp_tcp_socket_new(conn)) == NULL ||
	    amqp_socket_open(sock, a->host, a->port) != AMQP_STATUS_OK) {
		fprintf(stderr, "confirms: cannot connect to %s:%d\n", a->host,
		    a->port);
		return NULL;
	}
	if (amqp_login(conn, a->vhost, 0, AMQP_DEFAULT_FRAME_SIZE, 60,
	    AMQP_SASL_METHOD_PLAIN, a->user, a->password).reply_type !=
	    AMQP_RESPONSE_NORMAL) {
		fprintf(stderr, "confirms: login refused\n");
		amqp_destroy_connection(conn);
		return NULL;
	}
	amqp_channel_open(conn, CONFIRMS_CHANNEL);
	if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
		fprintf(stderr, "confirms: channel.open failed\n");
		amqp_destroy_connection(conn);
		return NULL;
	}
	amqp_confirm_select(conn, CONFIRMS_CHANNEL);
	if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
		fprintf(stderr, "confirms: confirm.select failed\n");
		amqp_destroy_connection(conn);
		return NULL;
	}
	return conn;
}

/* One publishing process: returns the number of confirmed messages, or -1. */
static long long
confirms_publish(const struct confirms_args *a)
{
	amqp_connection_state_t conn;
	amqp_basic_properties_t props;
	amqp_bytes_t body;
	amqp_frame_t frame;
	uint64_t sent = 0, acked = 0;
	double end;
	char *buf;

	if ((conn = confirms_connect(a)) == NULL)
		return -1;
	if ((buf = malloc((size_t)a->size)) == NULL) {
		amqp_destroy_connection(conn);
		return -1;
	}
	memset(buf, 'x', (size_t)a->size);
	body.bytes = buf;
	body.len = (size_t)a->size;
	memset(&props, 0, sizeof(props));
	props._flags = AMQP_BASIC_CONTENT_TYPE_FLAG |
	    AMQP_BASIC_DELIVERY_MODE_FLAG | AMQP_BASIC_MESSAGE_ID_FLAG |
	    AMQP_BASIC_TYPE_FLAG | AMQP_BASIC_TIMESTAMP_FLAG |
	    AMQP_BASIC_APP_ID_FLAG;
	props.content_type = amqp_cstring_bytes("application/json");
	props.delivery_mode = 2;
	props.message_id = amqp_cstring_bytes(
	    "01938a4e-0000-7000-8000-000000000000");
	props.type = amqp_cstring_bytes(CONFIRMS_KEY);
	props.app_id = amqp_cstring_bytes("bench-confirms");

	end = confirms_now() + a->seconds;
	while (confirms_now() < end || acked < sent) {
		while (confirms_now() < end && sent - acked <
		    (uint64_t)a->window) {
			props.timestamp = (uint64_t)time(NULL);
			if (amqp_basic_publish(conn, CONFIRMS_CHANNEL,
			    amqp_cstring_bytes(CONFIRMS_EXCHANGE),
			    amqp_cstring_bytes(CONFIRMS_KEY), 1, 0, &props,
			    body) != AMQP_STATUS_OK)
				goto fail;
			sent++;
		}
		if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK)
			goto fail;
		if (frame.frame_type != AMQP_FRAME_METHOD)
			continue;
		if (frame.payload.method.id == AMQP_BASIC_ACK_METHOD) {
			amqp_basic_ack_t *ack = frame.payload.method.decoded;

			/* the queue confirms in order: count up to the tag */
			if (ack->delivery_tag > acked)
				acked = ack->delivery_tag;
		} else if (frame.payload.method.id != AMQP_BASIC_RETURN_METHOD)
			goto fail;	/* a nack or a close */
		amqp_maybe_release_buffers(conn);
	}
	free(buf);
	amqp_destroy_connection(conn);
	return (long long)acked;
fail:
	fprintf(stderr, "confirms: publishing failed\n");
	free(buf);
	amqp_destroy_connection(conn);
	return -1;
}

int
main(int argc, char *argv[])
{
	struct confirms_args a;
	long long total = 0, n;
	int fds[2], status, failed = 0;
	FILE *in;

	if (argc != 9 || (a.password = getenv("CONFIRMS_PASSWORD")) == NULL) {
		fprintf(stderr, "usage: CONFIRMS_PASSWORD=... confirms HOST "
		    "PORT VHOST USER PROCESSES WINDOW SECONDS SIZE\n");
		return 2;
	}
	a.host = argv[1];
	a.port = atoi(argv[2]);
	a.vhost = argv[3];
	a.user = argv[4];
	a.processes = atoi(argv[5]);
	a.window = atoi(argv[6]);
	a.seconds = atof(argv[7]);
	a.size = atoi(argv[8]);
	if (a.port < 1 || a.processes < 1 || a.window < 1 || a.seconds <= 0 ||
	    a.size < 1) {
		fprintf(stderr, "confirms: invalid arguments\n");
		return 2;
	}
	if (pipe(fds) == -1) {
		perror("confirms: pipe");
		return 1;
	}
	for (int i = 0; i < a.processes; i++) {
		pid_t pid = fork();

		if (pid == -1) {
			perror("confirms: fork");
			return 1;
		}
		if (pid == 0) {
			close(fds[0]);
			n = confirms_publish(&a);
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
	printf("%d %d %lld %.0f\n", a.processes, a.window, total,
	    (double)total / a.seconds);
	return 0;
}
