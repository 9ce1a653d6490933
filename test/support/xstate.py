#!/usr/bin/env python3
"""Prints the X server's pointer position, held buttons and held keys as JSON (for tests).
Usage: DISPLAY=:N xstate.py   -- uses libX11 through ctypes, so it needs nothing but libx11."""
import ctypes, ctypes.util, json, sys

x = ctypes.CDLL(ctypes.util.find_library("X11"))
x.XOpenDisplay.restype = ctypes.c_void_p
x.XDefaultRootWindow.restype = ctypes.c_ulong
x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
dpy = x.XOpenDisplay(None)
if not dpy:
    sys.exit("cannot open display")
root = x.XDefaultRootWindow(dpy)
keys = (ctypes.c_char * 32)()
x.XQueryKeymap.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
x.XQueryKeymap(dpy, keys)
held = [i * 8 + b for i in range(32) for b in range(8) if keys[i][0] & (1 << b)]
r, c = ctypes.c_ulong(), ctypes.c_ulong()
rx, ry, wx, wy = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
mask = ctypes.c_uint()
x.XQueryPointer.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_void_p] * 7
x.XQueryPointer(dpy, root, ctypes.byref(r), ctypes.byref(c), ctypes.byref(rx), ctypes.byref(ry), ctypes.byref(wx), ctypes.byref(wy), ctypes.byref(mask))
print(json.dumps({"x": rx.value, "y": ry.value, "buttons": (mask.value >> 8) & 0x1F, "keycodes": held}))
