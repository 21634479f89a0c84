// The one base class of fuze-bench's own errors. Their message is the paragraph a user sees (what
// happened, what was expected, what to do); `instanceof FuzeError` tells them apart from bugs and from
// errors of the platform (fs, sockets) that arrive unwrapped. A leaf module: anything may import it.

export class FuzeError extends Error {}
