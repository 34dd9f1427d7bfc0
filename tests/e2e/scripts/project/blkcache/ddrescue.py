def describe():
    return "blkcache.ddrescue from " + __name__
