/* SPDX-License-Identifier: MIT */
#include "lib/log.h"

#include <stdio.h>
#include <string.h>

/*
 * The level and line ending are process-wide by design: they describe the
 * process's stderr, not a VM.
 */
static enum log_level current_level = LOG_WARN;
static bool use_crlf;

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

void log_set_crlf(bool crlf)
{
	use_crlf = crlf;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefixes[] = {"error: ", "warning: ", "", "debug: "};
	char line[1024];
	va_list ap;
	size_t len;

	if (level > current_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	len = strlen(line);
	while (len && line[len - 1] == '\n')
		line[--len] = '\0';
	fprintf(stderr, "xkvm: %s%s%s", prefixes[level], line, use_crlf ? "\r\n" : "\n");
}
