#!/bin/sh
# Install this Recap Desktop folder for the current user (no root, no Python needed):
# the program under ~/.local/opt/recap-desktop, `recap-desktop` in ~/.local/bin, and its
# entry, icon and metainfo under ~/.local/share, so it shows in the applications menu.
# PREFIX=/usr/local sh install.sh (as root) installs it for every user instead.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=${PREFIX:-$HOME/.local}
dest=$prefix/opt/recap-desktop
id=id.recap.RecapDesktop

if [ "$here" != "$dest" ]; then
    rm -rf "$dest"
    mkdir -p "$dest"
    cp -a "$here/." "$dest/"
fi
mkdir -p "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo" "$prefix/share/icons"
ln -sf "$dest/recap-desktop" "$prefix/bin/recap-desktop"
# The entry names the program by its full path: ~/.local/bin is not on every menu's PATH.
sed "s|^Exec=.*|Exec=$dest/recap-desktop|" "$here/share/applications/$id.desktop" \
    > "$prefix/share/applications/$id.desktop"
cp "$here/share/metainfo/$id.metainfo.xml" "$prefix/share/metainfo/"
cp -r "$here/share/icons/hicolor" "$prefix/share/icons/"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
echo "Recap Desktop installed in $dest; start it from the applications menu or with $prefix/bin/recap-desktop"
