#!/usr/bin/env python3
"""Prints what a VNC client could have changed in an X session, as JSON (for tests):
the owners of the PRIMARY and CLIPBOARD selections (0: nobody), cut buffer 0 (where x11vnc -nofb
puts a ClientCutText), the viewable top-level windows' names, and the keycodes held. Usage: DISPLAY=:N xsession.py
Uses libX11 through ctypes, so it needs nothing but python3 and libx11 (the appliance has both)."""
import ctypes, ctypes.util, json, sys

x = ctypes.CDLL(ctypes.util.find_library("X11") or "libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XDefaultRootWindow.restype = ctypes.c_ulong
x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
x.XInternAtom.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
x.XGetSelectionOwner.restype = ctypes.c_ulong
x.XGetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
x.XQueryTree.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.c_ulong), ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)), ctypes.POINTER(ctypes.c_uint)]
x.XFetchName.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(ctypes.c_char_p)]
x.XQueryKeymap.argtypes = [ctypes.c_void_p, ctypes.c_char_p]

class Attrs(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int), ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p), ("root", ctypes.c_ulong), ("class_", ctypes.c_int), ("bit_gravity", ctypes.c_int), ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int), ("backing_planes", ctypes.c_ulong), ("backing_pixel", ctypes.c_ulong), ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int), ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long), ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long), ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]
x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.POINTER(Attrs)]

dpy = x.XOpenDisplay(None)
if not dpy:
    sys.exit("cannot open display")
root = x.XDefaultRootWindow(dpy)
owners = {name: x.XGetSelectionOwner(dpy, x.XInternAtom(dpy, name.encode(), 0)) for name in ("PRIMARY", "CLIPBOARD")}
r, p, n = ctypes.c_ulong(), ctypes.c_ulong(), ctypes.c_uint()
children = ctypes.POINTER(ctypes.c_ulong)()
x.XQueryTree(dpy, root, ctypes.byref(r), ctypes.byref(p), ctypes.byref(children), ctypes.byref(n))
windows = []
for i in range(n.value):
    a = Attrs()
    x.XGetWindowAttributes(dpy, children[i], ctypes.byref(a))
    if a.map_state == 2 and not a.override_redirect:  # IsViewable, not a tooltip or menu
        name = ctypes.c_char_p()
        x.XFetchName(dpy, children[i], ctypes.byref(name))
        windows.append((name.value or b"").decode("utf-8", "replace"))
x.XFetchBytes.restype = ctypes.c_void_p
x.XFetchBytes.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
nbytes = ctypes.c_int()
cut = x.XFetchBytes(dpy, ctypes.byref(nbytes))
cut_text = ctypes.string_at(cut, nbytes.value).decode("latin-1") if cut else ""
keys = (ctypes.c_char * 32)()
x.XQueryKeymap(dpy, keys)
held = [i * 8 + b for i in range(32) for b in range(8) if keys[i][0] & (1 << b)]
print(json.dumps({"owners": owners, "cutBuffer": cut_text, "windows": windows, "keycodes": held}))
