/* SPDX-License-Identifier: MIT */
/* The CLI client's pure parts: URL encoding, finding xkvmd, xl-style output. */
#include "toolstack/client.h"
#include "toolstack/paths.h"
#include "lib/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A scratch directory with run/ and state/ inside, removed after each test. */
struct dirs {
	char root[64], run[128], state[128];
};

static int dirs_setup(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	snprintf(d->root, sizeof(d->root), "/tmp/xkvm-client-test-XXXXXX");
	assert_non_null(mkdtemp(d->root));
	snprintf(d->run, sizeof(d->run), "%s/run", d->root);
	snprintf(d->state, sizeof(d->state), "%s/state", d->root);
	assert_int_equal(mkdir(d->run, 0700), 0);
	assert_int_equal(mkdir(d->state, 0700), 0);
	*state = d;
	return 0;
}

static int dirs_teardown(void **state)
{
	struct dirs *d = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->root);
	assert_int_equal(system(cmd), 0);
	free(d);
	return 0;
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_url_encode(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"", ""},
	    {"web1", "web1"},
	    {"AZaz09-._~", "AZaz09-._~"},
	    {"my vm", "my%20vm"},
	    {"power_state:Running !tags:\"a b\"", "power_state%3ARunning%20%21tags%3A%22a%20b%22"},
	    {"a/b?c&d=e#f%g+h", "a%2Fb%3Fc%26d%3De%23f%25g%2Bh"},
	    {"|(vm1 vm2) CPUs:number:>1", "%7C%28vm1%20vm2%29%20CPUs%3Anumber%3A%3E1"},
	    {"\xc3\xa9t\xc3\xa9", "%C3%A9t%C3%A9"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *enc = url_encode(cases[i].in);

		assert_non_null(enc);
		assert_string_equal(enc, cases[i].out);
		free(enc);
	}
}

static void test_vm_path(void **state)
{
	char *p = client_vm_path("my vm/1", "/actions/clean_shutdown?sync=true");

	(void)state;
	assert_string_equal(p, "/rest/v0/vms/my%20vm%2F1/actions/clean_shutdown?sync=true");
	free(p);
	p = client_vm_path("web1", "");
	assert_string_equal(p, "/rest/v0/vms/web1");
	free(p);
}

static void test_api_env_unix(void **state)
{
	struct dirs *d = *state;
	struct endpoint ep;
	char err[512];

	/* $XKVM_API wins over an existing socket. */
	put_file(d->run, "xkvmd.sock", "");
	assert_int_equal(
	    endpoint_select("unix:/tmp/other.sock", d->run, d->state, &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.kind, ENDPOINT_UNIX);
	assert_string_equal(ep.unix_path, "/tmp/other.sock");
	assert_string_equal(ep.url, "http://localhost");
	assert_string_equal(ep.where, "/tmp/other.sock");
	assert_string_equal(ep.token, "");
}

static void test_api_env_http(void **state)
{
	struct dirs *d = *state;
	struct endpoint ep;
	char err[512];

	put_file(d->state, "token", "0123abcd\n");
	assert_int_equal(
	    endpoint_select("http://127.0.0.1:8123", d->run, d->state, &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.kind, ENDPOINT_TCP);
	assert_string_equal(ep.host, "127.0.0.1");
	assert_string_equal(ep.port, "8123");
	assert_string_equal(ep.url, "http://127.0.0.1:8123");
	assert_string_equal(ep.where, "http://127.0.0.1:8123");
	assert_string_equal(ep.token, "0123abcd");

	assert_int_equal(endpoint_select("http://[::1]:9/", NULL, NULL, &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "::1");
	assert_string_equal(ep.port, "9");
	assert_string_equal(ep.url, "http://[::1]:9");
	assert_string_equal(ep.token, "");

	assert_int_equal(endpoint_select("http://xkvm-host", NULL, NULL, &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.host, "xkvm-host");
	assert_string_equal(ep.port, "80");
}

static void test_api_env_bad(void **state)
{
	static const char *const bad[] = {
	    "ftp://h:1",      "http://",       "http://:80",	 "http://h:0",	"http://h:65536",
	    "http://h:8x",    "http://h/rest", "http://u@h:1",	 "http://[::1", "unix:",
	    "/run/xkvm.sock", "https://h:1",   "http://h:1?x=1", "http://h: 1",
	};
	struct endpoint ep;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(endpoint_select(bad[i], NULL, NULL, &ep, err, sizeof(err)),
				 -EINVAL);
		assert_non_null(strstr(err, "XKVM_API='"));
		assert_non_null(strstr(err, bad[i]));
	}
}

static void test_run_socket(void **state)
{
	struct dirs *d = *state;
	struct endpoint ep;
	char err[512], want[256];

	/* The socket comes before the endpoint file; an empty $XKVM_API is no setting. */
	put_file(d->run, "xkvmd.sock", "");
	put_file(d->state, "endpoint", "http://127.0.0.1:1\n");
	assert_int_equal(endpoint_select("", d->run, d->state, &ep, err, sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/xkvmd.sock", d->run);
	assert_int_equal(ep.kind, ENDPOINT_UNIX);
	assert_string_equal(ep.unix_path, want);
	assert_string_equal(ep.where, want);
	assert_string_equal(ep.url, "http://localhost");
}

static void test_endpoint_file(void **state)
{
	struct dirs *d = *state;
	struct endpoint ep;
	char err[512], token[256];

	put_file(d->state, "endpoint", "http://127.0.0.1:40123\n");
	put_file(d->state, "token", "c0ffee  \n");
	assert_int_equal(endpoint_select(NULL, d->run, d->state, &ep, err, sizeof(err)), 0);
	assert_int_equal(ep.kind, ENDPOINT_TCP);
	assert_string_equal(ep.url, "http://127.0.0.1:40123");
	assert_string_equal(ep.port, "40123");
	assert_string_equal(ep.token, "c0ffee");

	/* Without a token file the request goes out without one (the daemon says 401). */
	put_file(d->state, "endpoint", "http://localhost:5");
	snprintf(token, sizeof(token), "%s/token", d->state);
	assert_int_equal(unlink(token), 0);
	assert_int_equal(endpoint_select(NULL, NULL, d->state, &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.token, "");
}

static void test_endpoint_file_bad(void **state)
{
	struct dirs *d = *state;
	struct endpoint ep;
	char err[512], token[256];

	put_file(d->state, "endpoint", "unix:/run/xkvm/xkvmd.sock\n");
	assert_int_equal(endpoint_select(NULL, d->run, d->state, &ep, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/endpoint: expected http://host:port"));

	put_file(d->state, "endpoint", "http://127.0.0.1:40123\n");
	put_file(d->state, "token", "abc\r\nX-Evil: 1\n");
	assert_int_equal(endpoint_select(NULL, d->run, d->state, &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.token, "abc");
	put_file(d->state, "token", "a b\n");
	assert_int_equal(endpoint_select(NULL, d->run, d->state, &ep, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/token: not an API token"));
	/* A token that cannot be read is an error, not an anonymous request. */
	snprintf(token, sizeof(token), "%s/token", d->state);
	assert_int_equal(unlink(token), 0);
	assert_int_equal(mkdir(token, 0700), 0);
	assert_int_equal(endpoint_select(NULL, d->run, d->state, &ep, err, sizeof(err)), -EISDIR);
	assert_non_null(strstr(err, "/token: Is a directory"));
}

static void test_nothing_to_reach(void **state)
{
	struct dirs *d = *state;
	struct endpoint ep;
	char err[512], want[256];

	assert_int_equal(endpoint_select(NULL, d->run, d->state, &ep, err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "%s/xkvmd.sock", d->run);
	assert_string_equal(ep.where, want);
	assert_int_equal(endpoint_select(NULL, NULL, NULL, &ep, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(ep.where, "xkvmd.sock"));
}

static void test_dirs_from_env(void **state)
{
	char buf[256];

	(void)state;
	setenv("XKVM_STATE_DIR", "/tmp/st", 1);
	setenv("XKVM_RUN_DIR", "/tmp/rn", 1);
	assert_int_equal(xkvm_state_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/st");
	assert_int_equal(xkvm_run_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/rn");
	assert_int_equal(xkvm_run_dir(buf, 4), -ENAMETOOLONG);
	unsetenv("XKVM_STATE_DIR");
	unsetenv("XKVM_RUN_DIR");

	setenv("XDG_STATE_HOME", "/tmp/xdg-state", 1);
	setenv("XDG_RUNTIME_DIR", "/tmp/xdg-run", 1);
	setenv("HOME", "/tmp/home", 1);
	assert_int_equal(xkvm_state_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, geteuid() == 0 ? "/var/lib/xkvm" : "/tmp/xdg-state/xkvm");
	assert_int_equal(xkvm_run_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, geteuid() == 0 ? "/run/xkvm" : "/tmp/xdg-run/xkvm");
	if (geteuid() == 0)
		return;
	/* XDG says relative paths are to be ignored. */
	setenv("XDG_STATE_HOME", "relative", 1);
	assert_int_equal(xkvm_state_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/home/.local/state/xkvm");
	unsetenv("XDG_STATE_HOME");
	assert_int_equal(xkvm_state_dir(buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/tmp/home/.local/state/xkvm");
	unsetenv("XDG_RUNTIME_DIR");
	assert_int_equal(xkvm_run_dir(buf, sizeof(buf)), -ENOENT);
}

static void test_read_file(void **state)
{
	struct dirs *d = *state;
	char path[256];
	size_t len;
	char *text;

	put_file(d->root, "vm.cfg", "name = \"a\"\n");
	snprintf(path, sizeof(path), "%s/vm.cfg", d->root);
	text = client_read_file(path, 64, &len);
	assert_non_null(text);
	assert_int_equal(len, 11);
	assert_string_equal(text, "name = \"a\"\n");
	free(text);
	assert_null(client_read_file(path, 10, &len));
	assert_int_equal(errno, EFBIG);
	snprintf(path, sizeof(path), "%s/missing.cfg", d->root);
	assert_null(client_read_file(path, 64, &len));
	assert_int_equal(errno, ENOENT);
}

/* Print with fn into a string; the caller frees it. */
static char *capture_row(const char *json, void (*fn)(FILE *, const json_t *))
{
	json_t *vm = json_loads(json, 0, NULL);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(vm);
	assert_non_null(f);
	fn(f, vm);
	fclose(f);
	json_decref(vm);
	return buf;
}

static void assert_row(const char *json, const char *want)
{
	char *row = capture_row(json, list_print_row);

	assert_string_equal(row, want);
	free(row);
}

static void test_list_header(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	list_print_header(f);
	fclose(f);
	assert_string_equal(
	    buf,
	    "Name                                        ID   Mem VCPUs\tState\tTime(s)  Mode\n");
	free(buf);
}

static void test_list_rows(void **state)
{
	(void)state;
	/* The two rows of docs/toolstack.md. */
	assert_row("{\"name_label\":\"web1\",\"power_state\":\"Running\",\"domid\":1,"
		   "\"memory\":{\"size\":536870912},\"CPUs\":{\"number\":2,\"max\":2},"
		   "\"virtualizationMode\":\"pvh\",\"pvDriversDetected\":true,\"cpu_time\":12.3}",
		   "web1                                         1   512     2     r-----      "
		   "12.3  pvh\n");
	assert_row("{\"name_label\":\"db\",\"power_state\":\"Halted\",\"domid\":null,"
		   "\"memory\":{\"size\":268435456},\"CPUs\":{\"number\":1},"
		   "\"virtualizationMode\":\"hvm\",\"pvDriversDetected\":false,\"last_exit\":null}",
		   "db                                           -   256     1     ------       "
		   "0.0  hvm\n");
	/* A long name pushes the columns right, as in xl. */
	assert_row("{\"name_label\":\"a-very-long-name-that-is-longer-than-forty-chars\","
		   "\"power_state\":\"Paused\",\"domid\":12,\"memory\":{\"size\":1073741824},"
		   "\"CPUs\":{\"number\":16},\"virtualizationMode\":\"pv_in_pvh\"}",
		   "a-very-long-name-that-is-longer-than-forty-chars    12  1024    16     --p---  "
		   "     0.0  pv_in_pvh\n");
	/* Missing fields print as zeros and dashes rather than failing. */
	assert_row("{}", "                                             -     0     0     ------  "
			 "     0.0  -\n");
}

static void assert_flags(const char *json, const char *flags)
{
	json_t *vm = json_loads(json, 0, NULL);

	assert_non_null(vm);
	assert_string_equal(vm_state_flags(vm), flags);
	json_decref(vm);
}

static void test_state_flags(void **state)
{
	(void)state;
	assert_flags("{\"power_state\":\"Running\"}", "r-----");
	assert_flags("{\"power_state\":\"Paused\"}", "--p---");
	assert_flags("{\"power_state\":\"Halted\"}", "------");
	assert_flags("{\"power_state\":\"Suspended\"}", "---s--");
	assert_flags("{\"power_state\":\"Halted\",\"last_exit\":{\"code\":3,\"reason\":\"crash\"}}",
		     "----c-");
	assert_flags("{\"power_state\":\"Halted\",\"last_exit\":{\"code\":0,\"reason\":"
		     "\"poweroff\"}}",
		     "------");
	/* A crash before a restart is history: the VM runs now. */
	assert_flags("{\"power_state\":\"Running\",\"last_exit\":{\"reason\":\"crash\"}}",
		     "r-----");
	assert_flags("{}", "------");
}

static void assert_mode(const char *json, const char *mode)
{
	json_t *vm = json_loads(json, 0, NULL);

	assert_non_null(vm);
	assert_string_equal(vm_mode_label(vm), mode);
	json_decref(vm);
}

static void test_mode_labels(void **state)
{
	(void)state;
	assert_mode("{\"virtualizationMode\":\"pvh\",\"pvDriversDetected\":true}", "pvh");
	assert_mode("{\"virtualizationMode\":\"pv\"}", "pv");
	assert_mode("{\"virtualizationMode\":\"pv_in_pvh\",\"pvDriversDetected\":true}",
		    "pv_in_pvh");
	assert_mode("{\"virtualizationMode\":\"hvm\",\"pvDriversDetected\":false}", "hvm");
	assert_mode("{\"virtualizationMode\":\"hvm\"}", "hvm");
	assert_mode("{\"virtualizationMode\":\"hvm\",\"pvDriversDetected\":true}", "pvhvm");
	assert_mode("{\"virtualizationMode\":null}", "-");
}

static void test_uptime_format(void **state)
{
	static const struct {
		unsigned long secs;
		const char *text;
	} cases[] = {
	    {0, " 0:00:00"},
	    {59, " 0:00:59"},
	    {3661, " 1:01:01"},
	    {86399, "23:59:59"},
	    {86400, "1 day,  0:00:00"},
	    {86400 + 12 * 3600 + 34 * 60 + 56, "1 day, 12:34:56"},
	    {2 * 86400 + 3 * 3600 + 4 * 60 + 5, "2 days,  3:04:05"},
	    {400 * 86400UL, "400 days,  0:00:00"},
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uptime_format(cases[i].secs, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

static void print_uptime_at_1000000(FILE *out, const json_t *vm)
{
	uptime_print_row(out, vm, 1000000);
}

static void test_uptime_rows(void **state)
{
	char *row, *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	f = open_memstream(&buf, &len);
	uptime_print_header(f);
	fclose(f);
	assert_string_equal(buf, "Name                                ID Uptime\n");
	free(buf);

	row = capture_row("{\"name_label\":\"web1\",\"domid\":3,\"startTime\":996339}",
			  print_uptime_at_1000000);
	assert_string_equal(row, "web1                                 3  1:01:01\n");
	free(row);
	/* Halted VMs have no start time: no row, as xl skips them. */
	row = capture_row("{\"name_label\":\"db\",\"domid\":null,\"startTime\":null}",
			  print_uptime_at_1000000);
	assert_string_equal(row, "");
	free(row);
}

static void test_info(void **state)
{
	char *out = capture_row("{\"hostname\":\"h1\",\"xkvm_version\":\"0.1.0\",\"nr_cpus\":8,"
				"\"memory\":{\"size\":17179869184,\"free\":1073741824},"
				"\"kvm\":\"native\",\"vms_running\":2}",
				info_print);

	(void)state;
	assert_string_equal(out, "host                   : h1\n"
				 "xkvm_version           : 0.1.0\n"
				 "nr_cpus                : 8\n"
				 "total_memory           : 16384\n"
				 "free_memory            : 1024\n"
				 "kvm                    : native\n"
				 "vms_running            : 2\n");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url_encode),
	    cmocka_unit_test(test_vm_path),
	    cmocka_unit_test_setup_teardown(test_api_env_unix, dirs_setup, dirs_teardown),
	    cmocka_unit_test_setup_teardown(test_api_env_http, dirs_setup, dirs_teardown),
	    cmocka_unit_test(test_api_env_bad),
	    cmocka_unit_test_setup_teardown(test_run_socket, dirs_setup, dirs_teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_file, dirs_setup, dirs_teardown),
	    cmocka_unit_test_setup_teardown(test_endpoint_file_bad, dirs_setup, dirs_teardown),
	    cmocka_unit_test_setup_teardown(test_nothing_to_reach, dirs_setup, dirs_teardown),
	    cmocka_unit_test(test_dirs_from_env),
	    cmocka_unit_test_setup_teardown(test_read_file, dirs_setup, dirs_teardown),
	    cmocka_unit_test(test_list_header),
	    cmocka_unit_test(test_list_rows),
	    cmocka_unit_test(test_state_flags),
	    cmocka_unit_test(test_mode_labels),
	    cmocka_unit_test(test_uptime_format),
	    cmocka_unit_test(test_uptime_rows),
	    cmocka_unit_test(test_info),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
