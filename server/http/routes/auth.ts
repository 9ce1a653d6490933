/** Admin login, logout, session check and password change. */
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { getCookie } from 'hono/cookie';
import type { AppContext } from '../context.js';
import { validate } from '../validate.js';
import { changePasswordSchema, loginSchema } from '../schemas.js';
import { ADMIN_COOKIE, clearAdminCookie, clientAddress, isAdmin, requireAdmin, requireSecureChannel, setAdminCookie } from '../access.js';

export function authRoutes(ctx: AppContext) {
  return new Hono<AppEnv>()
    .post('/login', requireSecureChannel(), validate('json', loginSchema), async (c) => {
      const { token, expiresAt } = await ctx.auth.login(c.req.valid('json').password, clientAddress(c));
      setAdminCookie(c, token, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
      return c.json({ authenticated: true, expiresAt: expiresAt.toISOString() });
    })
    .post('/logout', (c) => {
      ctx.auth.logout(getCookie(c, ADMIN_COOKIE));
      clearAdminCookie(c);
      return c.json({ authenticated: false });
    })
    .get('/session', (c) => c.json({ authenticated: isAdmin(ctx, c) }))
    .post('/password', requireSecureChannel(), requireAdmin(ctx), validate('json', changePasswordSchema), async (c) => {
      const { currentPassword, newPassword } = c.req.valid('json');
      await ctx.auth.changePassword(currentPassword, newPassword, clientAddress(c));
      clearAdminCookie(c);
      return c.json({ changed: true, authenticated: false });
    });
}
