/* C-level smoke test of the arena, built with ASan + UBSan by tests/pma_csan.rs.
   Usage: smoke <dir>.  Exit 0 on success. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pma.h"

#define CHECK(c)                                                              \
  do {                                                                        \
    if (!(c)) {                                                               \
      fprintf(stderr, "smoke: %s:%d: %s (%s)\n", __FILE__, __LINE__, #c,      \
              pma_last_message());                                            \
      return 1;                                                               \
    }                                                                         \
  } while (0)

#define NB 3000

static uint64_t pat(uint64_t tag, uint64_t i) { return (tag * 0x9E3779B97F4A7C15ull) ^ i; }

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  pma_opts o = {0x300000000000ull, 64ull << 30, PMA_O_STRICT, 0};
  pma *p = NULL;
  static uint64_t *blk[NB];
  static size_t words[NB];
  CHECK(pma_open(argv[1], &o, &p) == PMA_OK);
  for (int i = 0; i < NB; i++) {
    size_t sz = (i % 10 == 9) ? 20000 + (size_t)i * 13 : 8 + (size_t)(i * 37) % 8000;
    blk[i] = pma_alloc(p, sz);
    CHECK(blk[i] != NULL);
    CHECK(pma_block_size(p, blk[i]) >= sz);
    words[i] = sz / 8;
    for (size_t w = 0; w < words[i]; w++) blk[i][w] = pat((uint64_t)i, w);
  }
  pma_root_set(p, 0, (uint64_t)(uintptr_t)blk[0]);
  pma_commit_stats cs;
  CHECK(pma_commit(p, 1, 0, 7, &cs) == PMA_OK && cs.generation == 2);
  pma_check_report r;
  CHECK(pma_check(p, PMA_CHECK_DATA, &r) == PMA_OK && r.errors == 0);
  CHECK(pma_close(p) == PMA_OK);

  CHECK(pma_open(argv[1], &o, &p) == PMA_OK);
  uint64_t roots[PMA_NROOTS];
  pma_meta m;
  CHECK(pma_roots(p, roots, &m) == PMA_OK && m.generation == 2 && m.kernel_mug == 7);
  CHECK(roots[0] == (uint64_t)(uintptr_t)blk[0]);
  for (int i = 0; i < NB; i++)
    for (size_t w = 0; w < words[i]; w++) CHECK(blk[i][w] == pat((uint64_t)i, w));
  /* free every third, rewrite every fifth in place */
  for (int i = 0; i < NB; i += 3) {
    pma_free(p, blk[i]);
    blk[i] = NULL;
  }
  for (int i = 1; i < NB; i += 5) {
    if (blk[i] == NULL) continue;
    CHECK(pma_dirty(p, blk[i], words[i] * 8) == PMA_OK);
    for (size_t w = 0; w < words[i]; w++) blk[i][w] = pat((uint64_t)i + 100000, w);
  }
  CHECK(pma_check(p, PMA_CHECK_DATA, &r) == PMA_OK && r.errors == 0);
  /* GC keeping odd indices only */
  pma_mark_view v;
  CHECK(pma_gc_begin(p, &v) == PMA_OK);
  for (int i = 1; i < NB; i += 2)
    if (blk[i] != NULL) CHECK(pma_gc_mark(p, blk[i]) == 1);
  pma_gc_stats gs;
  CHECK(pma_gc_sweep(p, &gs) == PMA_OK);
  for (int i = 0; i < NB; i += 2) blk[i] = NULL;
  CHECK(pma_check(p, PMA_CHECK_DATA, &r) == PMA_OK && r.errors == 0);
  CHECK(pma_commit(p, 2, 0, 8, &cs) == PMA_OK && cs.generation == 3);
  CHECK(pma_trim(p) == PMA_OK);
  CHECK(pma_commit(p, 3, 0, 8, &cs) == PMA_OK);
  pma_stats_t st;
  CHECK(pma_stats(p, &st) == PMA_OK && st.poisoned == 0);
  CHECK(pma_close(p) == PMA_OK);

  pma_inspect_info info;
  CHECK(pma_inspect(argv[1], &info) == PMA_OK && info.wal_state == 0);
  CHECK(pma_open(argv[1], &o, &p) == PMA_OK);
  for (int i = 1; i < NB; i += 2) {
    if (blk[i] == NULL) continue;
    uint64_t tag = (i % 5 == 1) ? (uint64_t)i + 100000 : (uint64_t)i;
    for (size_t w = 0; w < words[i]; w++) CHECK(blk[i][w] == pat(tag, w));
  }
  CHECK(pma_check(p, PMA_CHECK_DATA, &r) == PMA_OK && r.errors == 0);
  CHECK(pma_close(p) == PMA_OK);
  CHECK(pma_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ull);
  CHECK(strcmp(pma_error_string(PMA_E_LOCKED), "arena is locked by another process") == 0);
  printf("smoke: 1 passed, 0 failed\n");
  return 0;
}
