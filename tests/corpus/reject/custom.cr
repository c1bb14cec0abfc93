#include <tunables/global>
profile custom.cr {
  #include <abstractions/base>
  /srv/** r,
}
