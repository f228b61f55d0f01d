// Typed wrappers over libcurl's variadic entry points, which Swift cannot call directly.
#ifndef SAMFORGE_CCURL_H
#define SAMFORGE_CCURL_H

#include <curl/curl.h>
#include <stddef.h>

typedef size_t (*ccurl_data_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);
typedef int (*ccurl_seek_callback)(void *userdata, curl_off_t offset, int origin);
typedef int (*ccurl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                       curl_off_t ultotal, curl_off_t ulnow);

CURLcode ccurl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode ccurl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode ccurl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode ccurl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode ccurl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode ccurl_setopt_data_callback(CURL *handle, CURLoption option, ccurl_data_callback value);
CURLcode ccurl_setopt_xferinfo_callback(CURL *handle, ccurl_xferinfo_callback value);
/* CURLOPT_SEEKFUNCTION: lets libcurl rewind an upload body to resend it on a new connection. */
CURLcode ccurl_setopt_seek_callback(CURL *handle, ccurl_seek_callback value);

CURLcode ccurl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode ccurl_getinfo_off(CURL *handle, CURLINFO info, curl_off_t *value);
CURLcode ccurl_getinfo_string(CURL *handle, CURLINFO info, char **value);

/* libcurl's pause sentinels are macros Swift does not import. */
size_t ccurl_readfunc_abort(void);
size_t ccurl_writefunc_error(void);
int ccurl_seekfunc_ok(void);
int ccurl_seekfunc_cantseek(void);

#endif
