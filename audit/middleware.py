from core import log_context

from . import context, proxy_headers


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = proxy_headers.request_id(request)
        request.request_id = request_id  # for the error shape (core cannot import this app)
        channel = "api" if request.path.startswith("/api/") else "web"
        token = context.bind(context.RequestContext(request_id=request_id, ip=proxy_headers.client_ip(request),
                                                    channel=channel))
        # Log lines of this request carry its id and, once authenticated, the caller's ids (ADR 0066),
        # until the response is finished: Django logs a 4xx/5xx after every middleware returned.
        log_context.bind_request(request)
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response
