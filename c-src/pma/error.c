/* Error codes, per-thread error messages, crash points. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pma_int.h"

static _Thread_local int last_code;
static _Thread_local char last_msg[512];

int pma_set_error(int code, const char *fmt, ...) {
  va_list ap;
  last_code = code;
  va_start(ap, fmt);
  vsnprintf(last_msg, sizeof last_msg, fmt, ap);
  va_end(ap);
  return code;
}

int pma_last_error(void) { return last_code; }

const char *pma_last_message(void) { return last_msg; }

const char *pma_error_string(int code) {
  switch (code) {
  case PMA_OK: return "success";
  case PMA_E_IO: return "I/O error";
  case PMA_E_NOSPC: return "no space (disk or address reservation exhausted)";
  case PMA_E_CORRUPT: return "arena files are corrupt or inconsistent";
  case PMA_E_VERSION: return "unsupported arena format version or feature";
  case PMA_E_LOCKED: return "arena is locked by another process";
  case PMA_E_ADDR_IN_USE: return "arena address range is already in use";
  case PMA_E_NOMEM: return "out of memory or mappings";
  case PMA_E_POISONED: return "handle poisoned by an earlier failed commit";
  case PMA_E_BADARG: return "invalid argument";
  default: return "unknown error";
  }
}

#ifdef PMA_FAULT_INJECTION
/* MARS_PMA_CRASH_AT=k or k:n -> _exit(77) at the n-th time crash point k is reached. */
void pma_crash_point(int k) {
  static int want = -1, nth = 1, seen = 0;
  if (want == -1) {
    const char *s = getenv("MARS_PMA_CRASH_AT");
    want = 0;
    if (s != NULL && *s != '\0') {
      char *end = NULL;
      want = (int)strtol(s, &end, 10);
      if (end != NULL && *end == ':') nth = (int)strtol(end + 1, NULL, 10);
      if (nth < 1) nth = 1;
    }
  }
  if (want == k && ++seen == nth) {
    static const char msg[] = "pma: crash point reached\n";
    ssize_t r = write(2, msg, sizeof msg - 1);
    (void)r;
    _exit(77);
  }
}
#endif
