/*
 * Ticket spinlocks for what the CPUs share (docs/architecture.md, "Every
 * CPU"): the log's lines, the monitor. The host runs with interrupts off
 * (IF = 0; on SVM only the exit path's one-instruction window opens it, and
 * takes no lock there), so no interrupt handler can spin on a lock its own
 * CPU holds; an NMI or #MC handler takes none. The owner's CPU id is kept
 * so that a CPU that must report while it holds the lock (a host exception
 * inside a log line) goes on instead of deadlocking on itself.
 */
#ifndef DRVISOR_CORE_SPINLOCK_H
#define DRVISOR_CORE_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "arch-x86/cpu.h"

#define SPINLOCK_NO_OWNER 0xffffffffu
/* The holder id of a lock whose holder never takes it again inside
 * (the page allocator): no self-deadlock check needed. */
#define SPINLOCK_ANON 0xfffffffeu

struct spinlock {
	volatile uint32_t next;     /* the next ticket to hand out */
	volatile uint32_t serving;  /* the ticket that holds the lock */
	volatile uint32_t owner;    /* the CPU id holding it, SPINLOCK_NO_OWNER */
};

#define SPINLOCK_INIT { 0, 0, SPINLOCK_NO_OWNER }

static inline void spin_lock(struct spinlock *l, uint32_t cpu)
{
	uint32_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_ACQUIRE);

	while (__atomic_load_n(&l->serving, __ATOMIC_ACQUIRE) != t)
		cpu_pause();
	l->owner = cpu;
}

/* Takes the lock only if nobody holds it or waits for it. */
static inline bool spin_trylock(struct spinlock *l, uint32_t cpu)
{
	uint32_t s = __atomic_load_n(&l->serving, __ATOMIC_ACQUIRE), t = s;

	if (!__atomic_compare_exchange_n(&l->next, &t, s + 1, false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return false;
	l->owner = cpu;
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	l->owner = SPINLOCK_NO_OWNER;
	__atomic_store_n(&l->serving, l->serving + 1, __ATOMIC_RELEASE);
}

static inline bool spin_held_by(const struct spinlock *l, uint32_t cpu)
{
	return l->owner == cpu;
}

#endif
