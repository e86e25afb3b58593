/* Where the loader's configuration comes from: DRVISOR.CFG beside the loader,
 * then the EFI load options, which override it. */
#include "loader.h"
#include "config_parse.h"

#define CONFIG_FILE_NAME L"DRVISOR.CFG"

static void report_line(void *ctx, const char *message)
{
	(void)ctx;
	Print(L"drvisor: config: %a\n", message);
}

/* Load options are UCS-2 text when typed in the UEFI shell, but a boot entry
 * may carry arbitrary binary data: accept them only when every character up
 * to the first NUL is printable ASCII. Returns the ASCII length, or -1. */
static INTN options_to_ascii(const EFI_LOADED_IMAGE *li, char *out, UINTN out_len)
{
	const CHAR16 *w = li->LoadOptions;
	UINTN n = li->LoadOptionsSize / sizeof(CHAR16), i;

	if (!w || li->LoadOptionsSize % sizeof(CHAR16))
		return w ? -1 : 0;
	for (i = 0; i < n && w[i]; i++) {
		if (i + 1 >= out_len || w[i] > 0x7e || (w[i] < 0x20 && w[i] != L'\t'))
			return -1;
		out[i] = (char)w[i];
	}
	out[i] = 0;
	return (INTN)i;
}

void config_load(const struct loader_self *self, struct dv_config *cfg)
{
	static char opts[DV_CONFIG_LINE_MAX * 2];
	CHAR16 path[300];
	VOID *text;
	UINTN size;
	INTN olen;
	EFI_STATUS st;

	dv_config_defaults(cfg);
	if (!path_join(path, 300, self->dir, CONFIG_FILE_NAME)) {
		Print(L"drvisor: config: loader path too long, using defaults\n");
	} else {
		st = file_read_all(self, path, &text, &size);
		if (EFI_ERROR(st)) {
			Print(L"drvisor: config: %s not read (%r), using defaults\n", path, st);
		} else {
			dv_config_parse_file(cfg, text, size, "DRVISOR.CFG", report_line, NULL);
			FreePool(text);
		}
	}
	olen = options_to_ascii(self->loaded, opts, sizeof(opts));
	if (olen < 0)
		Print(L"drvisor: config: load options are not printable text, ignored\n");
	else if (olen > 0)
		dv_config_parse_options(cfg, opts, (size_t)olen, report_line, NULL);
}

void config_print(const struct dv_config *cfg)
{
	Print(L"drvisor: config: monitor=0x%x baud=%d dr_switch=%a log_level=%a next=%a\n",
	      cfg->monitor_port, cfg->baud, dv_dr_switch_name(cfg->dr_switch),
	      dv_log_level_name(cfg->log_level), cfg->next[0] ? cfg->next : "(none)");
}
