import { describe, expect, it } from 'vitest';
import { MAIL_TEMPLATE_NAMES, MailError, renderMail } from '../../src/mail/index.ts';

const url = 'https://custos.example/v1/auth/reset?token=abc&next=%2F"x"';

describe('mail templates', () => {
  it('P-COM-1: the only mail custos can render is transactional: verification, password reset, address change, sign-in notice, export and erasure notices', () => {
    expect([...MAIL_TEMPLATE_NAMES].sort()).toEqual(['email_change_confirm', 'email_change_notice', 'erasure_completed', 'erasure_scheduled', 'export_ready', 'password_reset', 'policy_changed', 'signin_notice', 'verify_email']);
    expect(() => renderMail('newsletter', {})).toThrow(MailError);
    expect(() => renderMail('__proto__', {})).toThrow(MailError);
  });

  it('each template renders a subject, plain text and HTML with its link, escaped in HTML', () => {
    for (const name of ['verify_email', 'password_reset'] as const) {
      const mail = renderMail(name, { url });
      expect(mail.subject).not.toBe('');
      expect(mail.text).toContain(url);
      expect(mail.html).toContain('href="https://custos.example/v1/auth/reset?token=abc&#38;next=%2F&#34;x&#34;"');
      expect(mail.html).not.toContain(url);
    }
    const confirm = renderMail('email_change_confirm', { url, newEmail: 'new@example.com' });
    expect(confirm.text).toContain('new@example.com');
    expect(confirm.text).toContain(url);
  });

  it('the notice to the old address carries no link and no new address', () => {
    const notice = renderMail('email_change_notice', {});
    expect(notice.subject).toBe('Your email address is being changed');
    expect(notice.text).not.toMatch(/https?:|@/);
    expect(notice.html).not.toMatch(/href|https?:|@/);
    expect(() => renderMail('email_change_notice', { newEmail: 'new@example.com' })).toThrow(MailError);
  });

  it('the sign-in notice shows the time and the escaped user agent, and links nowhere', () => {
    const mail = renderMail('signin_notice', { at: '2026-03-01T10:20:30.000Z', userAgent: '<script>alert(1)</script>' });
    expect(mail.text).toContain('Sun, 01 Mar 2026 10:20:30 GMT');
    expect(mail.text).toContain('<script>alert(1)</script>');
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&#60;script&#62;');
    expect(mail.html).not.toContain('href');
    expect(renderMail('signin_notice', { at: '2026-03-01T10:20:30+02:00' }).text).toContain('on Sun, 01 Mar 2026 08:20:30 GMT.\n');
  });

  it('bad variables are refused with the fields named and the values left out', () => {
    const err = (() => {
      try {
        renderMail('verify_email', { url: 'javascript:alert("secret-value")' });
      } catch (e) {
        return e as MailError;
      }
    })();
    expect(err?.code).toBe('invalid_vars');
    expect(err?.message).toContain('url');
    expect(err?.message).not.toContain('secret-value');
  });
});
