// The public face of mail/: what other modules import.
export { deliverMail, type DeliveryDeps, type DeliveryOptions, type DeliveryOutcome } from './delivery.ts';
export { createMail, type Mail, type MailDeps } from './mail.ts';
export { MAIL_SEND, Outbox, type MailOutboxTable, type MailRequest, type MailSendPayload, type MailTables, type OutboxDeps } from './outbox.ts';
export {
  MAIL_TEMPLATE_NAMES,
  MAIL_TEMPLATES,
  MailError,
  escapeHtml,
  renderMail,
  type MailErrorCode,
  type MailTemplateName,
  type MailVars,
  type RenderedMail,
} from './templates.ts';
export { MAILBOX_DIR_NAME, MailboxTransport, SmtpTransport, transportFor, type MailTransport, type OutgoingMail } from './transports.ts';
