# shellcheck shell=sh
# e2e-boots: 1
# The guest's copy of kubelet's atomic ConfigMap update (cm_publish), which
# the daemon checks use to update the watched directory: ..data is swapped
# by one rename, keys are symlinks through it, deleted keys disappear and
# the old data directory goes away.

cm=/run/e2e/cm-demo
v1=$E2E_CONFIGMAPS/demo-v1
v2=$E2E_CONFIGMAPS/demo-v2

# same_content DIR SRC: DIR shows exactly SRC's keys with SRC's bytes.
same_content() {
	for f in "$2"/*; do
		cmp -s "$f" "$1/${f##*/}" || { echo "${f##*/} differs"; return 1; }
	done
	for f in "$1"/*; do
		[ -e "$2/${f##*/}" ] || { echo "${f##*/} is extra"; return 1; }
	done
}

# keys_are_links DIR: every visible key is a symlink to ..data/KEY.
keys_are_links() {
	for f in "$1"/*; do
		[ "$(readlink "$f")" = "..data/${f##*/}" ] ||
			{ echo "${f##*/} -> $(readlink "$f")"; return 1; }
	done
}

check "publish v1" cm_publish "$cm" "$v1"
data1=$(readlink "$cm/..data")
expect_match "..data names a timestamped directory" '..20[0-9][0-9]_*' "$data1"
check "v1 keys are ..data symlinks" keys_are_links "$cm"
check "v1 content is visible" same_content "$cm" "$v1"

check "publish v2" cm_publish "$cm" "$v2"
data2=$(readlink "$cm/..data")
check "..data now names another directory" test "$data1" != "$data2"
check "the old data directory is gone" test ! -e "$cm/$data1"
check "v2 keys are ..data symlinks" keys_are_links "$cm"
check "v2 content is visible (changed, added and deleted keys)" \
	same_content "$cm" "$v2"
check "no temporary link is left" test ! -L "$cm/..data_tmp"
