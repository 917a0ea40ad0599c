// Linux calls that glibc declares only under _GNU_SOURCE, which Swift's Glibc
// module does not define.
#ifndef CLINUX_SHIM_H
#define CLINUX_SHIM_H

#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>

// Allocates len bytes of disk for fd without changing its size
// (fallocate with FALLOC_FL_KEEP_SIZE). 0, or -1 with errno set.
static inline int CLinux_reserve(int fd, off_t len) {
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, len);
}

// Tells the core that the thread is spinning on a memory location, so that it
// yields execution resources to its sibling hyper-thread and saves power.
static inline void CLinux_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
// Asks the kernel to back [address, address + len) with transparent huge
// pages (2 MiB on x86-64) where it can. Advice only: 0, or -1 with errno set
// (for instance when the kernel has huge pages switched off).
static inline int CLinux_advise_huge_pages(void *address, size_t len) {
    return madvise(address, len, MADV_HUGEPAGE);
}

#endif
}

// Asks the core to start loading the cache line at address, for reading soon.
static inline void CLinux_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

// Asks the kernel to back [address, address + len) with transparent huge
// pages (2 MiB on x86-64) where it can. Advice only: 0, or -1 with errno set
// (for instance when the kernel has huge pages switched off).
static inline int CLinux_advise_huge_pages(void *address, size_t len) {
    return madvise(address, len, MADV_HUGEPAGE);
}

#endif
