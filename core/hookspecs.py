import pluggy
hookspec = pluggy.HookspecMarker("qingdan")
hookimpl = pluggy.HookimplMarker("qingdan")
