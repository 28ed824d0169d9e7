# Third-party C libraries, as imported targets dep::<name>.
#
# The shim is installed as one file on every node and containerd starts it
# for every pod, so two things matter: what a node must have installed, and
# how long the dynamic loader takes before main().  The small libraries we
# always use (json-c, protobuf-c, libseccomp, libcap, nettle) therefore go
# into the binary from Debian's .a archives: nothing to install for them, no
# symbol lookups, no relocations or constructors of theirs at start.  The
# binary then needs only libc and libm.  libmicrohttpd is not linked at all:
# src/spin loads it with dlopen() when an HTTP server starts (it drags in
# gnutls and eight more libraries whose constructors run at load time).
#
# STATIC_DEPS=OFF, or a distribution without the archives, links the shared
# libraries instead; the program is the same either way.
option(STATIC_DEPS "Link json-c, protobuf-c, libseccomp, libcap and nettle from their .a archives when present" ON)
find_package(PkgConfig REQUIRED)

# dep_library(NAME MODULE ARCHIVE) defines dep::NAME from the pkg-config
# MODULE: the static ARCHIVE (e.g. libjson-c.a) when STATIC_DEPS is on and
# the archive exists, else the shared library pkg-config names.
function(dep_library name module archive)
  pkg_check_modules(DEP_${name} REQUIRED IMPORTED_TARGET ${module})
  set(found "")
  if(STATIC_DEPS)
    find_library(DEP_${name}_ARCHIVE NAMES ${archive}
                 HINTS ${DEP_${name}_STATIC_LIBRARY_DIRS} ${DEP_${name}_LIBRARY_DIRS})
    set(found ${DEP_${name}_ARCHIVE})
  endif()
  if(found)
    add_library(dep::${name} STATIC IMPORTED)
    set_target_properties(dep::${name} PROPERTIES
      IMPORTED_LOCATION ${found}
      INTERFACE_INCLUDE_DIRECTORIES "${DEP_${name}_INCLUDE_DIRS}"
      INTERFACE_COMPILE_OPTIONS "${DEP_${name}_CFLAGS_OTHER}")
    # What the archive itself needs (pkg-config's Libs.private), minus itself.
    set(private ${DEP_${name}_STATIC_LIBRARIES})
    list(REMOVE_ITEM private ${DEP_${name}_LIBRARIES})
    if(private)
      set_target_properties(dep::${name} PROPERTIES INTERFACE_LINK_LIBRARIES "${private}")
    endif()
    message(STATUS "dependency ${name}: static (${found})")
  else()
    add_library(dep::${name} INTERFACE IMPORTED)
    target_link_libraries(dep::${name} INTERFACE PkgConfig::DEP_${name})
    message(STATUS "dependency ${name}: shared")
  endif()
endfunction()

dep_library(json-c json-c libjson-c.a)
dep_library(protobuf-c libprotobuf-c libprotobuf-c.a)
dep_library(seccomp libseccomp libseccomp.a)
dep_library(cap libcap libcap.a)
dep_library(nettle nettle libnettle.a)
# SQLite: Spin's key-value and sqlite backends (src/spinapi).
dep_library(sqlite3 sqlite3 libsqlite3.a)
# hiredis: Spin's outbound redis (src/spinapi/redis*.c).  Linked like
# json-c, from its archive: it needs only libc and has no constructors,
# so unlike libcurl nothing is gained by loading it at run time.
dep_library(hiredis hiredis libhiredis.a)

# libmicrohttpd: only its header (types and constants); the code is loaded
# at run time by src/spin/mhd_load.c, so no link library here on purpose.
pkg_check_modules(DEP_microhttpd REQUIRED libmicrohttpd)
add_library(dep::microhttpd-headers INTERFACE IMPORTED)
set_target_properties(dep::microhttpd-headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DEP_microhttpd_INCLUDE_DIRS}"
  INTERFACE_COMPILE_OPTIONS "${DEP_microhttpd_CFLAGS_OTHER}")

# libcurl (wasi:http's outgoing requests): only its header, like
# libmicrohttpd; src/wasi2/http_client.c loads libcurl.so.4 (Debian
# libcurl4) with dlopen on the first outgoing request.
pkg_check_modules(DEP_curl REQUIRED libcurl)
add_library(dep::curl-headers INTERFACE IMPORTED)
set_target_properties(dep::curl-headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DEP_curl_INCLUDE_DIRS}"
  INTERFACE_COMPILE_OPTIONS "${DEP_curl_CFLAGS_OTHER}")

# libpq (PostgreSQL for Spin apps, src/spinapi/postgres.c): only its
# header, like libcurl; the code loads libpq.so.5 (Debian libpq5) with
# dlopen on the first connection, since libpq drags in OpenSSL, GSSAPI and
# LDAP whose loading every shim start would otherwise pay.
pkg_check_modules(DEP_pq REQUIRED libpq)
add_library(dep::pq-headers INTERFACE IMPORTED)
set_target_properties(dep::pq-headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DEP_pq_INCLUDE_DIRS}"
  INTERFACE_COMPILE_OPTIONS "${DEP_pq_CFLAGS_OTHER}")

# libarchive (the tar+gzip layers of Spin OCI artifacts, src/oci): only its
# header, like libcurl; src/oci/install_archive.c loads libarchive.so.13
# (Debian libarchive13) with dlopen when an archive layer is installed.
pkg_check_modules(DEP_archive REQUIRED libarchive)
add_library(dep::archive-headers INTERFACE IMPORTED)
set_target_properties(dep::archive-headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DEP_archive_INCLUDE_DIRS}"
  INTERFACE_COMPILE_OPTIONS "${DEP_archive_CFLAGS_OTHER}")

# MariaDB Connector/C (MySQL for Spin apps, src/spinapi/mysql_client.c):
# only its header, like libpq; the code loads libmariadb.so.3 (Debian
# libmariadb3) with dlopen on the first connection (it drags in GnuTLS).
pkg_check_modules(DEP_mariadb REQUIRED libmariadb)
add_library(dep::mariadb-headers INTERFACE IMPORTED)
set_target_properties(dep::mariadb-headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DEP_mariadb_INCLUDE_DIRS}"
  INTERFACE_COMPILE_OPTIONS "${DEP_mariadb_CFLAGS_OTHER}")

# libmosquitto (MQTT for Spin apps, src/spinapi/mqtt.c): only its header;
# the code loads libmosquitto.so.1 (Debian libmosquitto1) with dlopen.
pkg_check_modules(DEP_mosquitto REQUIRED libmosquitto)
add_library(dep::mosquitto-headers INTERFACE IMPORTED)
set_target_properties(dep::mosquitto-headers PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${DEP_mosquitto_INCLUDE_DIRS}"
  INTERFACE_COMPILE_OPTIONS "${DEP_mosquitto_CFLAGS_OTHER}")
