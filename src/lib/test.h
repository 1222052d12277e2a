/* SPDX-License-Identifier: MIT */
/* Common includes for cmocka unit tests. */
#ifndef XKVM_LIB_TEST_H
#define XKVM_LIB_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#endif
