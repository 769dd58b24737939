import { Controller, Get, Header, Inject, MessageEvent, Sse, Type } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { DashboardFeed } from './dashboard-feed';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard-page';

/** The page's controller, at `path` (a class per forRoot: Nest reads a controller's path from its decorator). */
export function dashboardController(path: string): Type<unknown> {
  @Controller(path)
  class EtcdRegistryDashboardController {
    constructor(@Inject(DashboardFeed) private readonly feed: DashboardFeed) {}

    /** The page (static HTML, inline style and script). */
    @Get()
    @Header('Content-Type', 'text/html; charset=utf-8')
    @Header('Content-Security-Policy', DASHBOARD_CSP)
    @Header('X-Content-Type-Options', 'nosniff')
    @Header('Cache-Control', 'no-store')
    page(): string {
      return DASHBOARD_HTML;
    }

    /** Server-sent events: the whole instance list on connect, then what changed (a few events a second at most). */
    @Sse('events')
    events(): Observable<MessageEvent> {
      return this.feed.events();
    }
  }
  return EtcdRegistryDashboardController;
}
