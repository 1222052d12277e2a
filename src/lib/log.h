/* SPDX-License-Identifier: MIT */
/*
 * Logging for the VMM and the toolstack.  Messages go to stderr with the
 * program prefix; the level is per process, set once from the command line.
 */
#ifndef XKVM_LIB_LOG_H
#define XKVM_LIB_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* When the console is a raw terminal, lines must end with CR LF. */
void log_set_crlf(bool crlf);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define pr_err(...)   log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Log a message only the first time this call site runs (per process). */
#define pr_warn_once(...)                                                                          \
	do {                                                                                       \
		static bool warned_;                                                               \
		if (!__atomic_exchange_n(&warned_, true, __ATOMIC_RELAXED))                        \
			pr_warn(__VA_ARGS__);                                                      \
	} while (0)

#endif
