/*
 * What delivering a debug exception (#DB) does to the debug state, for the
 * #DBs drvisor raises itself where the CPU would have (a single step over an
 * instruction drvisor emulated). The CPU does it for the #DBs it delivers;
 * an injected #DB does none of it (SDM vol. 3C 27.6.1.2 for VMX event
 * injection; KVM emulates it the same way on SVM). Pure: host unit tests in
 * tests/unit/test_db_delivery.c.
 */
#ifndef DRVISOR_CORE_DB_DELIVERY_H
#define DRVISOR_CORE_DB_DELIVERY_H

#include <stdint.h>

struct db_state {
	uint64_t dr6, dr7, debugctl;
};

/* Deliver a #DB for conditions (DR6 status bits B0-B3, BD, BS, BT, 1 =
 * happened) to s, as the CPU does (SDM vol. 3B 18.2.3, 18.2.4, 18.4.1,
 * 18.4.3; APM vol. 2 13.1.1.3, 13.1.3.4):
 *  - DR6: B0-B3 cleared ("certain debug exceptions may clear bits 0-3"; what
 *    the CPUs and emulators here do), the conditions set, BD/BS/BT of
 *    earlier events kept ("the remaining contents of DR6 are never cleared
 *    by the processor"), RTM (bit 16, active low) set: the #DB was not in
 *    an RTM region; BLD (bit 11, active low) left as it was; the other
 *    reserved bits read 1;
 *  - DR7.GD cleared, so that the handler may use the debug registers;
 *  - IA32_DEBUGCTL.LBR and BTF cleared. */
void db_deliver(struct db_state *s, uint64_t conditions);

#endif
