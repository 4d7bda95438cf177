/*-------------------------------------------------------------------------
 *
 * nls_shim.c
 *		  Preloaded after the AddressSanitizer runtime, so that Debian's
 *		  uninstrumented postgres starts under it (test/asan.sh).
 *
 * A preloaded ASan runtime initialises itself lazily, on the first malloc,
 * because the constructors of the libraries the server links (libgpg-error,
 * libp11-kit) run before its own.  Those constructors call bindtextdomain
 * and newlocale, which malloc while holding glibc's _nl_state_lock or
 * __libc_setlocale_lock for writing.  ASan's initialisation then calls
 * dlerror, whose message goes through gettext, which takes and releases
 * the same lock as a reader: the write lock is lost, the reader count goes
 * negative, and the server's own bindtextdomain waits forever.
 *
 * Each wrapper below makes one malloc first, so that ASan is initialised
 * before glibc takes either lock, then calls the real function.
 *
 *-------------------------------------------------------------------------
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libintl.h>
#include <locale.h>
#include <stdlib.h>

static void
initialise_asan_first(void)
{
	static int	done = 0;

	if (!done)
	{
		void	   *volatile p = malloc(1);

		free(p);
		done = 1;
	}
}

#define WRAP(ret, name, params, args) \
ret \
name params \
{ \
	static ret (*real) params = NULL; \
	initialise_asan_first(); \
	if (real == NULL) \
		real = (ret (*) params) dlsym(RTLD_NEXT, #name); \
	return real args; \
}

WRAP(char *, bindtextdomain, (const char *domain, const char *dir), (domain, dir))
WRAP(char *, bind_textdomain_codeset, (const char *domain, const char *codeset), (domain, codeset))
WRAP(char *, textdomain, (const char *domain), (domain))
WRAP(char *, setlocale, (int category, const char *locale), (category, locale))
WRAP(locale_t, newlocale, (int mask, const char *locale, locale_t base), (mask, locale, base))
WRAP(locale_t, duplocale, (locale_t locale), (locale))
