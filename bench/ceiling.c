/*
 * ceiling.c — the benchmark's upper bound: a FastCGI program that accepts
 * a request and answers a fixed JSON document, nothing else.
 *
 * It is pre-forked exactly like oms-fcgi (lib/prefork.c, compiled in, and
 * the same FCGX_OpenSocket backlog), so that nginx, the socket and the
 * process model are the same and only the work per request differs.
 * bench/run builds it with cc; it is not part of the product build.
 *
 *   ceiling SOCKET_PATH NPROCS
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fcgiapp.h>

#include "log.h"
#include "prefork.h"

#define FCGI_BACKLOG	1024	/* as oms-fcgi */

static int listen_fd = -1;

static const char reply[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "\r\n"
    "{\"id\":\"0193f6c2-0000-7000-8000-000000000000\",\"status\":\"created\","
    "\"customerId\":\"cus_demo\",\"version\":1}\n";

static void
ceiling_on_stop(void)
{
	FCGX_ShutdownPending();
}

static int
ceiling_child(void *arg)
{
	FCGX_Request req;

	(void)arg;
	if (FCGX_InitRequest(&req, listen_fd, 0) != 0)
		return 1;
	while (!prefork_stopping() && FCGX_Accept_r(&req) >= 0) {
		FCGX_PutStr(reply, (int)sizeof(reply) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 0);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct prefork pf;
	int n, rc;

	if (argc != 3 || (n = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: ceiling SOCKET_PATH NPROCS\n");
		return 2;
	}
	log_init("ceiling", LOG_LEVEL_INFO, LOG_FORMAT_TEXT);
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0)
		fatalx("FCGX_Init failed");
	unlink(argv[1]);
	if ((listen_fd = FCGX_OpenSocket(argv[1], FCGI_BACKLOG)) < 0)
		fatalx("cannot listen on %s", argv[1]);
	if (chmod(argv[1], 0666) == -1)
		fatal("chmod %s", argv[1]);

	memset(&pf, 0, sizeof(pf));
	pf.name = "ceiling";
	pf.nprocs = n;
	pf.stop_timeout_ms = 5000;
	pf.child_main = ceiling_child;
	pf.on_stop = ceiling_on_stop;
	rc = prefork_run(&pf);
	unlink(argv[1]);
	return rc == 0 ? 0 : 1;
}
