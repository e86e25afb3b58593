# gdb's part of the Linux guest demonstration (issue 8), run in batch mode by
# init on /wptest: every stop after `starti` is a hardware debug-register hit
# (no software breakpoint is ever inserted), and init checks the printed hits.
# `starti` first: gdb asks the running process's target, not the executable
# file, whether hardware breakpoints exist ("No hardware breakpoint support in
# the target" otherwise).
set pagination off
set confirm off
set can-use-hw-watchpoints 1
starti
hbreak main
continue
watch counter
continue
continue
continue
delete
rwatch source
continue
continue
delete
awatch shared
continue
continue
delete
hbreak checkpoint
continue
print v
delete
continue
