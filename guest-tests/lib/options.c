/*
 * The image's load options as key=value words (see guest.h for the
 * contracts). A loader hands an EFI application its options as one UCS-2
 * string: drvisor copies next_args there (NUL included in LoadOptionsSize),
 * the UEFI shell its command line. Words are separated by spaces or tabs;
 * the string ends at the first NUL or at LoadOptionsSize, whichever comes
 * first. An odd LoadOptionsSize is not UCS-2 at all (a loader that passed
 * bytes): such options count as none rather than being half-read.
 */
#include "guest.h"

/* The load options as *n UCS-2 characters; NULL when there are none. */
static const CHAR16 *load_options(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, unsigned *n)
{
	EFI_GUID lip = LOADED_IMAGE_PROTOCOL;
	EFI_LOADED_IMAGE *li = 0;
	const CHAR16 *s;
	unsigned len = 0, max;

	if (uefi_call_wrapper(st->BootServices->HandleProtocol, 3, image, &lip, (void **)&li) !=
		    EFI_SUCCESS ||
	    !li || !li->LoadOptions || li->LoadOptionsSize % sizeof(CHAR16))
		return 0;
	s = li->LoadOptions;
	max = li->LoadOptionsSize / sizeof(CHAR16);
	while (len < max && s[len])
		len++;
	*n = len;
	return len ? s : 0;
}

static bool is_space(CHAR16 c)
{
	return c == ' ' || c == '\t';
}

/* The next word of s[0..n) at or after *i: stores its bounds [*b, *e) and
 * moves *i past it. Returns false when no word is left. */
static bool next_word(const CHAR16 *s, unsigned n, unsigned *i, unsigned *b, unsigned *e)
{
	unsigned j = *i;

	while (j < n && is_space(s[j]))
		j++;
	*b = j;
	while (j < n && !is_space(s[j]))
		j++;
	*e = *i = j;
	return *b < *e;
}

/* Whether the n characters at w begin with all of the ASCII string a;
 * *k is then a's length. */
static bool starts_with(const CHAR16 *w, unsigned n, const char *a, unsigned *k)
{
	unsigned j;

	for (j = 0; a[j] && j < n && w[j] == (CHAR16)(uint8_t)a[j]; j++)
		;
	*k = j;
	return !a[j];
}

static unsigned digit(CHAR16 c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10u
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10u
				      : 99u;
}

/* s[0..n) as a decimal or 0x/0X hex number: at least one digit, nothing
 * else, no overflow. */
static bool parse_u64(const CHAR16 *s, unsigned n, uint64_t *out)
{
	unsigned base = 10, i = 0;
	uint64_t v = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == n)
		return false;
	for (; i < n; i++) {
		unsigned d = digit(s[i]);

		if (d >= base || v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

bool guest_option_u64(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, const char *key, uint64_t *out)
{
	const CHAR16 *s;
	unsigned n, i = 0, b, e, k;

	if (!key[0] || !(s = load_options(image, st, &n)))
		return false;
	while (next_word(s, n, &i, &b, &e)) {
		if (!starts_with(s + b, e - b, key, &k) || b + k == e || s[b + k] != '=')
			continue;
		if (parse_u64(s + b + k + 1, e - b - k - 1, out))
			return true;
		guest_printf("# ignoring a bad %s= load option\n", key);
		return false;
	}
	return false;
}

bool guest_option_is(EFI_HANDLE image, EFI_SYSTEM_TABLE *st, const char *word)
{
	const CHAR16 *s;
	unsigned n, i = 0, b, e, k;

	if (!word[0] || !(s = load_options(image, st, &n)))
		return false;
	while (next_word(s, n, &i, &b, &e))
		if (starts_with(s + b, e - b, word, &k) && b + k == e)
			return true;
	return false;
}
