/*
 * wh-receiver — a webhook receiver for the tests (libmicrohttpd; no HTTP
 * parsing of our own). It listens on 127.0.0.1 on a free port, writes the
 * port to PORTFILE, and for every request appends one JSON line to LOG:
 *   {"method","path","id","type","attempt","signature","valid":[i,...],
 *    "bodyId","bodyType","status","arrived","at"}
 * where valid lists the (0-based) lines of SECRETS, re-read at each
 * request, whose secret signs the body (lib/webhook.c's webhook_verify,
 * with a 5-minute tolerance on t), and status is what it answered:
 * 500 during the first --fail-for=S seconds, else --status=N (200);
 * arrived and at are the Unix ms of the request's arrival and answer.
 * --delay-ms=N holds each answer that long (a delivery in flight).
 * --hold-first=MS:STATUS holds the first request of each event id MS ms
 * (its id is appended to LOG.held on arrival, so a test knows an attempt
 * is in flight) and answers it STATUS; later ones are answered as above.
 * SIGTERM or SIGINT stop it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <json-c/json.h>
#include <microhttpd.h>

#include "json.h"
#include "webhook.h"

#define RECV_BODY_MAX	(1024 * 1024)
#define RECV_SEEN_MAX	1024
#define RECV_ID_MAX	96

static const char *recv_log, *recv_secrets;
static int recv_fail_for_s, recv_status = 200, recv_delay_ms;
static time_t recv_started;
static int recv_hold_ms, recv_hold_status;
static char recv_seen[RECV_SEEN_MAX][RECV_ID_MAX];
static size_t recv_nseen;
static pthread_mutex_t recv_seen_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t recv_stop;

struct recv_req {
	char	*body;
	size_t	 len;
	int	 too_big;
	long long arrived_ms;
};

static long long
recv_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Whether this is the first request of event id (then recorded as seen,
 * and appended to LOG.held). */
static int
recv_first_of(const char *id)
{
	char path[4096], line[RECV_ID_MAX + 1];
	size_t i, n;
	int fd;

	if (id == NULL || (n = strlen(id)) >= RECV_ID_MAX)
		return 0;
	pthread_mutex_lock(&recv_seen_lock);
	for (i = 0; i < recv_nseen; i++)
		if (strcmp(recv_seen[i], id) == 0)
			break;
	if (i < recv_nseen || recv_nseen == RECV_SEEN_MAX) {
		pthread_mutex_unlock(&recv_seen_lock);
		return 0;
	}
	memcpy(recv_seen[recv_nseen++], id, n + 1);
	pthread_mutex_unlock(&recv_seen_lock);
	memcpy(line, id, n);
	line[n] = '\n';
	snprintf(path, sizeof(path), "%s.held", recv_log);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644)) != -1) {
		if (write(fd, line, n + 1) != (ssize_t)(n + 1))
			perror("wh-receiver: write");
		close(fd);
	}
	return 1;
}

static void
recv_on_signal(int sig)
{
	(void)sig;
	recv_stop = 1;
}

/* The valid secrets' line numbers, as a JSON array (owned). */
static struct json_object *
recv_valid(const char *sig, const char *body, size_t len)
{
	struct json_object *a = json_object_new_array();
	FILE *f = fopen(recv_secrets, "r");
	char line[256];
	int i = 0;

	if (f == NULL || sig == NULL) {
		if (f != NULL)
			fclose(f);
		return a;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] != '\0' && webhook_verify(sig, line, body, len,
		    (long long)time(NULL), 300))
			json_object_array_add(a, json_object_new_int(i));
		i++;
	}
	fclose(f);
	return a;
}

static void
recv_record(struct MHD_Connection *c, const char *method, const char *url,
    const struct recv_req *r, int status)
{
	struct json_object *o = json_object_new_object(), *body = NULL;
	const char *sig = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Webhook-Signature");
	const char *attempt = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Webhook-Attempt");
	char err[64], *line;
	size_t n;
	int fd;

	json_add_str(o, "method", method);
	json_add_str(o, "path", url);
	json_add_str(o, "id", MHD_lookup_connection_value(c, MHD_HEADER_KIND,
	    "Webhook-Id"));
	json_add_str(o, "type", MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, "Webhook-Event"));
	json_add_str(o, "contentType", MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, "Content-Type"));
	json_add_int(o, "attempt", attempt != NULL ? atoi(attempt) : 0);
	json_add_str(o, "signature", sig);
	json_object_object_add(o, "valid", recv_valid(sig, r->body != NULL ?
	    r->body : "", r->len));
	if (r->body != NULL && json_parse_strict(r->body, r->len, &body, err,
	    sizeof(err)) == OMS_OK) {
		json_add_str(o, "bodyId", json_get_str(body, "id"));
		json_add_str(o, "bodyType", json_get_str(body, "type"));
		json_object_put(body);
	}
	json_add_int(o, "status", status);
	json_add_int(o, "arrived", r->arrived_ms);
	json_add_int(o, "at", recv_now_ms());
	json_dump(o, &n);
	/* one write of the whole line on an O_APPEND file: lines of
	 * concurrent requests do not interleave */
	if ((line = malloc(n + 2)) == NULL) {
		json_object_put(o);
		return;
	}
	memcpy(line, json_dump(o, NULL), n);
	json_object_put(o);
	line[n] = '\n';
	if ((fd = open(recv_log, O_WRONLY | O_APPEND | O_CREAT, 0644)) != -1) {
		if (write(fd, line, n + 1) != (ssize_t)(n + 1))
			perror("wh-receiver: write");
		close(fd);
	}
	free(line);
}

static enum MHD_Result
recv_handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **ctx)
{
	struct recv_req *r = *ctx;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int status;

	(void)cls;
	(void)version;
	if (r == NULL) {
		if ((r = calloc(1, sizeof(*r))) == NULL)
			return MHD_NO;
		r->arrived_ms = recv_now_ms();
		*ctx = r;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		if (r->len + *upload_size > RECV_BODY_MAX)
			r->too_big = 1;
		else {
			char *b = realloc(r->body, r->len + *upload_size + 1);

			if (b == NULL)
				return MHD_NO;
			r->body = b;
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (recv_hold_ms > 0 && recv_first_of(MHD_lookup_connection_value(c,
	    MHD_HEADER_KIND, "Webhook-Id"))) {
		usleep((useconds_t)recv_hold_ms * 1000);
		status = recv_hold_status;
	} else {
		if (recv_delay_ms > 0)
			usleep((useconds_t)recv_delay_ms * 1000);
		status = time(NULL) < recv_started + recv_fail_for_s ? 500 :
		    r->too_big ? 413 : recv_status;
	}
	recv_record(c, method, url, r, status);
	resp = MHD_create_response_from_buffer(2, (void *)"ok",
	    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void
recv_completed(void *cls, struct MHD_Connection *c, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct recv_req *r = *ctx;

	(void)cls;
	(void)c;
	(void)toe;
	if (r != NULL) {
		free(r->body);
		free(r);
	}
	*ctx = NULL;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	FILE *f;
	int i;

	if (argc < 4) {
		fprintf(stderr, "usage: wh-receiver PORTFILE LOG SECRETS "
		    "[--fail-for=S] [--status=N] [--delay-ms=N] "
		    "[--hold-first=MS:STATUS]\n");
		return 2;
	}
	recv_log = argv[2];
	recv_secrets = argv[3];
	for (i = 4; i < argc; i++) {
		if (strncmp(argv[i], "--fail-for=", 11) == 0)
			recv_fail_for_s = atoi(argv[i] + 11);
		else if (strncmp(argv[i], "--status=", 9) == 0)
			recv_status = atoi(argv[i] + 9);
		else if (strncmp(argv[i], "--delay-ms=", 11) == 0)
			recv_delay_ms = atoi(argv[i] + 11);
		else if (strncmp(argv[i], "--hold-first=", 13) == 0 &&
		    sscanf(argv[i] + 13, "%d:%d", &recv_hold_ms,
		    &recv_hold_status) == 2 && recv_hold_ms > 0 &&
		    recv_hold_status >= 100 && recv_hold_status <= 599)
			;
		else {
			fprintf(stderr, "wh-receiver: unknown %s\n", argv[i]);
			return 2;
		}
	}
	recv_started = time(NULL);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = 0;
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    recv_handle, NULL, MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_NOTIFY_COMPLETED, recv_completed, NULL,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "wh-receiver: MHD_start_daemon failed\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || (f = fopen(argv[1], "w")) == NULL) {
		MHD_stop_daemon(d);
		return 1;
	}
	fprintf(f, "%u\n", (unsigned)info->port);
	fclose(f);
	signal(SIGTERM, recv_on_signal);
	signal(SIGINT, recv_on_signal);
	while (!recv_stop)
		pause();
	MHD_stop_daemon(d);
	return 0;
}
