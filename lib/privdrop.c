/*
 * privdrop.c — give up root (see privdrop.h), as OpenBSD daemons do after
 * their privileged set-up: initgroups, setgid, setuid, and a check that
 * setuid(0) now fails.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include "log.h"
#include "privdrop.h"

int
privdrop(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (user == NULL || *user == '\0' || (pw = getpwnam(user)) == NULL) {
		log_warnx("OMS_USER: no user '%s' to run as", user != NULL ?
		    user : "");
		return -1;
	}
	if (pw->pw_uid == 0) {
		log_warnx("OMS_USER=%s: running as root, as asked", user);
		return 0;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1) {
		log_warn("cannot become %s", user);
		return -1;
	}
	if (setuid(0) != -1 || errno != EPERM) {
		log_warnx("still able to become root after dropping to %s",
		    user);
		return -1;
	}
	log_info("running as %s (uid %d)", user, (int)pw->pw_uid);
	return 0;
}
