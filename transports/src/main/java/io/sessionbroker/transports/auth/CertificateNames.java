package io.sessionbroker.transports.auth;

import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * The device ids a client certificate vouches for: its subject's common name (CN) and its subject
 * alternative names of type DNS, URI and e-mail (RFC 5280 §4.2.1.6). The TLS layer has already
 * checked that the certificate chains to {@code tls.caFile}; a session without a client certificate
 * vouches for nothing.
 */
public final class CertificateNames {

  private static final int RFC822 = 1;
  private static final int DNS = 2;
  private static final int URI = 6;

  private CertificateNames() {}

  /** The names of the peer's certificate in {@code session}; empty when there is none. */
  public static Set<String> of(SSLSession session) {
    if (session == null) {
      return Set.of();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate leaf ? of(leaf) : Set.of();
    } catch (SSLPeerUnverifiedException e) {
      return Set.of(); // the client presented no certificate (clientAuth none or request)
    }
  }

  /** The CN and the DNS, URI and e-mail alternative names of {@code certificate}, in this order. */
  public static Set<String> of(X509Certificate certificate) {
    Set<String> names = new LinkedHashSet<>();
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          names.add(rdn.getValue().toString());
        }
      }
      if (certificate.getSubjectAlternativeNames() != null) {
        for (List<?> name : certificate.getSubjectAlternativeNames()) {
          int type = (Integer) name.get(0);
          if (type == RFC822 || type == DNS || type == URI) {
            names.add(name.get(1).toString());
          }
        }
      }
    } catch (InvalidNameException | CertificateParsingException e) {
      return Set.of(); // unreadable names vouch for nothing
    }
    return Collections.unmodifiableSet(names); // in order: the CN first (DeviceAuth)
  }
}
