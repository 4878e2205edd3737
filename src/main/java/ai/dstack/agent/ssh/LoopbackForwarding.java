package ai.dstack.agent.ssh;

import java.util.Map;
import org.apache.sshd.client.future.OpenFuture;
import org.apache.sshd.common.channel.Channel;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;
import org.apache.sshd.server.forward.TcpipServerChannel;

/**
 * The forwarding policy: local ("direct-tcpip") forwards to loopback destinations only, with the
 * remapped ports moved to 127.0.0.1; no remote forwards, no X11, no agent. It is both the channel
 * factory (which does the remapping) and the filter MINA consults for every forward.
 */
final class LoopbackForwarding extends TcpipServerChannel.TcpipFactory implements ForwardingFilter {
  private final Map<Integer, Integer> portRemap;

  LoopbackForwarding(Map<Integer, Integer> portRemap) {
    super(TcpForwardingFilter.Type.Direct);
    this.portRemap = portRemap;
  }

  @Override
  public Channel createChannel(Session session) {
    return new TcpipServerChannel(getType(), null) {
      // The channel-open request names the destination (host, port), then the originator (host,
      // port); MINA's channel connects to the destination it reads, so a moved port is rewritten.
      @Override
      protected OpenFuture doInit(Buffer buffer) {
        String host = buffer.getString();
        int port = buffer.getInt();
        Integer moved = isLoopback(host) ? portRemap.get(port) : null;
        Buffer request = new ByteArrayBuffer();
        request.putString(moved == null ? host : SshdSocketAddress.LOCALHOST_IPV4);
        request.putInt(moved == null ? port : moved);
        request.putBuffer(buffer);
        return super.doInit(request);
      }
    };
  }

  @Override
  public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
    return type == Type.Direct && isLoopback(address.getHostName());
  }

  @Override
  public boolean canListen(SshdSocketAddress address, Session session) {
    return false;
  }

  @Override
  public boolean canForwardX11(Session session, String requestType) {
    return false;
  }

  @Override
  public boolean canForwardAgent(Session session, String requestType) {
    return false;
  }

  private static boolean isLoopback(String host) {
    return "localhost".equalsIgnoreCase(host)
        || SshdSocketAddress.isIPv4LoopbackAddress(host)
        || SshdSocketAddress.isIPv6LoopbackAddress(host);
  }
}
