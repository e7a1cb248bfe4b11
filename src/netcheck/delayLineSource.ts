/**
 * Source of the user-space delay/loss line, compiled at check time with the machine's `cc`.
 *
 * Why C and why TUN: this kernel has no `netem`, and the check must leave TCP to the kernel.
 * So, as Mahimahi does, packets leave one namespace through a TUN device, a small program reads
 * them, holds each for the one-way delay (dropping some with the configured probability), and
 * writes them into a TUN device in the other namespace. Node cannot `ioctl(TUNSETIFF)` or
 * `setns`, hence a C program. It is kept as a string here so the compiled package (which ships
 * `dist/` only) can still build it.
 *
 * Usage: `delayline NS_A DEV_A NS_B DEV_B DELAY_AB_US DELAY_BA_US LOSS_AB LOSS_BA SEED MAX_SECONDS [JITTER_AB_US JITTER_BA_US]`
 * (`NS_*` are `/run/netns/<name>` files; loss is a probability per TCP data segment, see `should_drop`;
 * jitter, as the simulator's links draw it, adds `|N(0, JITTER)|` to each packet's delay, never
 * letting a packet overtake the one before it). It prints `ready`
 * once both TUN devices are attached, exits when stdin closes (the parent died) or after
 * MAX_SECONDS, and prints its counters to stderr. Every loop is bounded in time.
 */
export const DELAY_LINE_C = String.raw`
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define SLOTS 8192
#define SLOT_BYTES 2048

typedef struct {
  int64_t due_ns[SLOTS];
  int len[SLOTS];
  unsigned char *data;
  int head, count;
  int64_t delay_ns;
  int64_t jitter_ns;
  int64_t last_due;
  double loss;
  uint64_t in, out, lost, overflow;
} Line;

/* splitmix64 finaliser: the loss decision for (seed, port, segment, attempt), shared with the model. */
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
static uint64_t seed64;
static double segment_draw(uint32_t port, uint32_t segment, uint32_t attempt) {
  uint64_t h = mix64(seed64 ^ mix64(((uint64_t)port << 48) ^ ((uint64_t)attempt << 32) ^ segment));
  return (double)(h >> 11) / 9007199254740992.0;
}

#define FLOWS 64
#define MSS 1448
typedef struct {
  uint32_t saddr, daddr, isn;
  uint16_t sport, dport;
  uint8_t *attempts;
  uint32_t cap;
  int used;
} Flow;
static Flow flows[FLOWS];

static Flow *flow_of(uint32_t sa, uint32_t da, uint16_t sp, uint16_t dp, int create, uint32_t isn) {
  for (int i = 0; i < FLOWS; i++) {
    Flow *f = &flows[i];
    if (f->used && f->saddr == sa && f->daddr == da && f->sport == sp && f->dport == dp) {
      if (create) { f->isn = isn; memset(f->attempts, 0, f->cap); }
      return f;
    }
  }
  if (!create) return NULL;
  for (int i = 0; i < FLOWS; i++) {
    Flow *f = &flows[i];
    if (!f->used) {
      f->used = 1; f->saddr = sa; f->daddr = da; f->sport = sp; f->dport = dp; f->isn = isn;
      f->cap = 1024; f->attempts = calloc(f->cap, 1);
      return f;
    }
  }
  return NULL;
}

/*
 * Whether to drop a packet. TCP segments that carry data are dropped by a hash of the
 * connection's destination port, the segment's index (sequence offset / MSS) and how many
 * times that segment was sent before, so a model given the same seed and port can replay the
 * exact loss pattern; other packets (handshakes, ACKs) are never dropped.
 */
static int should_drop(const unsigned char *b, ssize_t n, double loss) {
  if (loss <= 0 || n < 40 || (b[0] >> 4) != 4 || b[9] != 6) return 0;
  int ihl = (b[0] & 15) * 4;
  int tot = (b[2] << 8) | b[3];
  if (ihl + 20 > n || tot > n) return 0;
  const unsigned char *t = b + ihl;
  uint32_t sa, da;
  memcpy(&sa, b + 12, 4);
  memcpy(&da, b + 16, 4);
  uint16_t sp = (uint16_t)((t[0] << 8) | t[1]);
  uint16_t dp = (uint16_t)((t[2] << 8) | t[3]);
  uint32_t seq = ((uint32_t)t[4] << 24) | ((uint32_t)t[5] << 16) | ((uint32_t)t[6] << 8) | t[7];
  int doff = (t[12] >> 4) * 4;
  int flags = t[13];
  /* SYN and SYN-ACK: each direction's stream starts at its own ISN. */
  if (flags & 0x02) { flow_of(sa, da, sp, dp, 1, seq); return 0; }
  int payload = tot - ihl - doff;
  if (payload <= 0) return 0;
  Flow *f = flow_of(sa, da, sp, dp, 0, 0);
  if (f == NULL) return 0;
  uint32_t seg = (seq - f->isn - 1) / MSS;
  if (seg >= f->cap) {
    uint32_t cap = f->cap;
    while (cap <= seg) cap *= 2;
    uint8_t *a = realloc(f->attempts, cap);
    if (a == NULL) return 0;
    memset(a + f->cap, 0, cap - f->cap);
    f->attempts = a;
    f->cap = cap;
  }
  uint32_t attempt = f->attempts[seg] < 255 ? f->attempts[seg]++ : 255;
  return segment_draw(dp, seg, attempt) < loss;
}

/* Half-normal jitter draws (xorshift64* and Box-Muller), seeded from SEED. */
static uint64_t jitter_state = 0x9E3779B97F4A7C15ULL;
static double uniform01(void) {
  jitter_state ^= jitter_state >> 12; jitter_state ^= jitter_state << 25; jitter_state ^= jitter_state >> 27;
  return ((double)((jitter_state * 0x2545F4914F6CDD1DULL) >> 11) + 0.5) / 9007199254740992.0;
}
static int64_t jitter_draw(int64_t sigma_ns) {
  if (sigma_ns <= 0) return 0;
  double z = sqrt(-2.0 * log(uniform01())) * cos(6.283185307179586 * uniform01());
  return (int64_t)(fabs(z) * (double)sigma_ns);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int attach(const char *ns_path, const char *dev) {
  int nsfd = open(ns_path, O_RDONLY);
  if (nsfd < 0) { perror("open netns"); return -1; }
  if (setns(nsfd, CLONE_NEWNET) != 0) { perror("setns"); close(nsfd); return -1; }
  close(nsfd);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
  if (fd < 0) { perror("open /dev/net/tun"); return -1; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) { perror("TUNSETIFF"); close(fd); return -1; }
  return fd;
}

/* Reads every packet waiting on 'from' into the line (bounded by the ring size per call). */
static void take(int from, Line *l, int64_t t) {
  for (int n = 0; n < SLOTS; n++) {
    int slot = (l->head + l->count) % SLOTS;
    unsigned char buf[SLOT_BYTES];
    unsigned char *dst = l->count < SLOTS ? l->data + (size_t)slot * SLOT_BYTES : buf;
    ssize_t r = read(from, dst, SLOT_BYTES);
    if (r <= 0) return;
    l->in++;
    if (l->count >= SLOTS) { l->overflow++; continue; }
    if (should_drop(dst, r, l->loss)) { l->lost++; continue; }
    int64_t due = t + l->delay_ns + jitter_draw(l->jitter_ns);
    if (due < l->last_due) due = l->last_due;
    l->last_due = due;
    l->due_ns[slot] = due;
    l->len[slot] = (int)r;
    l->count++;
  }
}

/* Writes every packet whose delay has elapsed; due times never decrease, so the line stays FIFO. */
static void release(int to, Line *l, int64_t t) {
  while (l->count > 0 && l->due_ns[l->head] <= t) {
    ssize_t w = write(to, l->data + (size_t)l->head * SLOT_BYTES, (size_t)l->len[l->head]);
    (void)w;
    l->out++;
    l->head = (l->head + 1) % SLOTS;
    l->count--;
  }
}

int main(int argc, char **argv) {
  if (argc != 11 && argc != 13) {
    fprintf(stderr, "usage: delayline NS_A DEV_A NS_B DEV_B DELAY_AB_US DELAY_BA_US LOSS_AB LOSS_BA SEED MAX_SECONDS [JITTER_AB_US JITTER_BA_US]\n");
    return 2;
  }
  static Line ab, ba;
  ab.data = malloc((size_t)SLOTS * SLOT_BYTES);
  ba.data = malloc((size_t)SLOTS * SLOT_BYTES);
  if (!ab.data || !ba.data) { fprintf(stderr, "out of memory\n"); return 1; }
  ab.delay_ns = atoll(argv[5]) * 1000LL;
  ba.delay_ns = atoll(argv[6]) * 1000LL;
  ab.loss = atof(argv[7]);
  ba.loss = atof(argv[8]);
  seed64 = (uint64_t)atoll(argv[9]);
  jitter_state ^= seed64 * 0xD1B54A32D192ED03ULL;
  if (jitter_state == 0) jitter_state = 1;
  if (argc == 13) {
    ab.jitter_ns = atoll(argv[11]) * 1000LL;
    ba.jitter_ns = atoll(argv[12]) * 1000LL;
  }
  double max_seconds = atof(argv[10]);
  prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
  int fa = attach(argv[1], argv[2]);
  int fb = attach(argv[3], argv[4]);
  if (fa < 0 || fb < 0) return 1;
  printf("ready\n");
  fflush(stdout);
  int64_t end = now_ns() + (int64_t)(max_seconds * 1e9);
  struct pollfd p[3] = {{fa, POLLIN, 0}, {fb, POLLIN, 0}, {0, POLLIN, 0}};
  for (;;) {
    int64_t t = now_ns();
    if (t >= end) break;
    release(fb, &ab, t);
    release(fa, &ba, t);
    int64_t next = end;
    if (ab.count > 0 && ab.due_ns[ab.head] < next) next = ab.due_ns[ab.head];
    if (ba.count > 0 && ba.due_ns[ba.head] < next) next = ba.due_ns[ba.head];
    /* ppoll sleeps on an hrtimer (timer slack set to 1 us below), so no busy-waiting. */
    int64_t wait_ns = next - t;
    if (wait_ns > 1000000000LL) wait_ns = 1000000000LL;
    struct timespec to = {(time_t)(wait_ns / 1000000000LL), (long)(wait_ns % 1000000000LL)};
    p[0].revents = p[1].revents = p[2].revents = 0;
    int r = ppoll(p, 3, &to, NULL);
    if (r < 0 && errno != EINTR) { perror("poll"); break; }
    if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
      char c[64];
      if (read(0, c, sizeof c) <= 0) break;
    }
    t = now_ns();
    if (p[0].revents & POLLIN) take(fa, &ab, t);
    if (p[1].revents & POLLIN) take(fb, &ba, t);
  }
  fprintf(stderr, "{\"ab\":{\"in\":%llu,\"out\":%llu,\"lost\":%llu,\"overflow\":%llu},\"ba\":{\"in\":%llu,\"out\":%llu,\"lost\":%llu,\"overflow\":%llu}}\n",
          (unsigned long long)ab.in, (unsigned long long)ab.out, (unsigned long long)ab.lost, (unsigned long long)ab.overflow,
          (unsigned long long)ba.in, (unsigned long long)ba.out, (unsigned long long)ba.lost, (unsigned long long)ba.overflow);
  return 0;
}
`;
