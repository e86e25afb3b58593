/* The few libc string functions the freestanding core provides itself. */
#ifndef DRVISOR_CORE_STRING_H
#define DRVISOR_CORE_STRING_H

#include <stddef.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
