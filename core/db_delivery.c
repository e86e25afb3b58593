/* A #DB's side effects on DR6, DR7 and IA32_DEBUGCTL (core/db_delivery.h). */
#include "db_delivery.h"
#include "arch-x86/dr.h"

void db_deliver(struct db_state *s, uint64_t conditions)
{
	s->dr6 = (s->dr6 & ~DR6_B0_3) | (conditions & DR6_STATUS) | (DR6_FIXED_1 & ~DR6_BLD);
	s->dr6 &= ~DR6_RESERVED_0;
	s->dr7 &= ~DR7_GD;
	s->debugctl &= ~DEBUGCTL_CLEARED_BY_DB;
}
