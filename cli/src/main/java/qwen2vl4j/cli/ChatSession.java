package qwen2vl4j.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import qwen2vl4j.Conversation;
import qwen2vl4j.MediaLoader;
import qwen2vl4j.Qwen2VL;
import qwen2vl4j.chat.ContentPart;
import qwen2vl4j.chat.MediaSource;
import qwen2vl4j.chat.Message;
import qwen2vl4j.generate.GenerationProgress;
import qwen2vl4j.generate.GenerationResult;
import qwen2vl4j.generate.SamplingParams;
import qwen2vl4j.preprocess.ImageDecodeException;
import qwen2vl4j.preprocess.ImageDecoder;
import qwen2vl4j.preprocess.VideoSources;
import qwen2vl4j.text.ContextLimitException;

/**
 * The state of an interactive chat: one {@link Conversation} (its KV cache kept across turns), the media attached
 * for the next message, and the slash commands. Answers stream to {@code printer}; notes and errors go to {@code err}.
 */
final class ChatSession {
    static final String HELP = "commands: /image PATH, /video PATH (a folder of frames, a GIF or a video file) attach to the next message; "
            + "/reset starts over; /exit (or Ctrl-D) quits";
    /** Reads image headers to check an attachment (the model decodes it when the message is sent). */
    private static final MediaLoader HEADERS = new MediaLoader(new ImageDecoder());

    private final Qwen2VL model;
    private final SamplingParams params;
    private final String system;
    private final boolean addVisionId;
    private final boolean stats;
    private final TokenPrinter printer;
    private final PrintWriter err;
    private final ProgressLine progress;
    private final List<ContentPart> attachments = new ArrayList<>();
    private Conversation conversation;
    private VisionIds visionIds;
    private boolean started;

    ChatSession(Qwen2VL model, SamplingParams params, String system, boolean addVisionId, boolean stats,
                TokenPrinter printer, PrintWriter err) {
        this(model, params, system, addVisionId, stats, printer, err, new ProgressLine(err, false, true, System::nanoTime));
    }

    ChatSession(Qwen2VL model, SamplingParams params, String system, boolean addVisionId, boolean stats,
                TokenPrinter printer, PrintWriter err, ProgressLine progress) {
        this.progress = progress;
        this.model = model;
        this.params = params;
        this.system = system;
        this.addVisionId = addVisionId;
        this.stats = stats;
        this.printer = printer;
        this.err = err;
        reset();
    }

    /** Handles one input line; returns false when the chat should end. */
    boolean handle(String line) {
        String input = line.strip();
        if (input.isEmpty()) return true;
        if (input.startsWith("/")) return command(input);
        send(input);
        return true;
    }

    private boolean command(String input) {
        int space = input.indexOf(' ');
        String name = space < 0 ? input : input.substring(0, space);
        String arg = space < 0 ? "" : input.substring(space + 1).strip();
        switch (name) {
            case "/exit", "/quit" -> {
                return false;
            }
            case "/reset" -> {
                reset();
                note("new conversation");
            }
            case "/help" -> note(HELP);
            case "/image" -> attach(arg, "image");
            case "/video" -> attach(arg, "video");
            default -> error("unknown command " + name + " (" + HELP + ")");
        }
        return true;
    }

    private void attach(String arg, String kind) {
        String path = unquote(arg);
        if (path.isEmpty()) {
            error("/" + kind + " needs a path");
            return;
        }
        MediaSource source = MediaSource.of(path);
        if (source instanceof MediaSource.FileSource f && !Files.exists(f.path())) {
            error(kind + " " + path + ": no such file");
            return;
        }
        try { // what can be checked without decoding, so that a bad path fails here and not with the message it goes with
            if (kind.equals("image")) HEADERS.imageSize(source);
            else if (source instanceof MediaSource.FileSource f) VideoSources.check(f.path());
        } catch (ImageDecodeException e) {
            error(e.getMessage());
            return;
        }
        attachments.add(kind.equals("image") ? new ContentPart.Image(source)
                : new ContentPart.Video(List.of(source), Map.of()));
        note(kind + " attached: " + path);
    }

    private void send(String text) {
        List<Message> turn = new ArrayList<>();
        if (!started && system != null) turn.add(Message.system(system));
        if (attachments.isEmpty()) {
            turn.add(Message.user(text));
        } else {
            List<ContentPart> parts = new ArrayList<>(attachments);
            parts.add(new ContentPart.Text(text));
            turn.add(new Message("user", parts));
        }
        int attached = attachments.size();
        attachments.clear();
        if (addVisionId) turn = visionIds.label(turn);
        int cachedBefore = conversation.cachedTokens();
        GenerationResult result;
        try {
            List<Message> request = turn;
            result = GenerationProgress.during(progress, () -> conversation.send(request, params, progress.clearingBefore(printer)));
        } catch (RuntimeException e) {
            progress.clear();
            boolean touched = conversation.cachedTokens() != cachedBefore;
            if (touched) printer.print("\n");
            String hint = e instanceof ContextLimitException ? " (use /reset to start a new conversation)" : "";
            error((e.getMessage() == null ? e.toString() : e.getMessage()) + hint);
            if (attached > 0 && !touched) note("the attached media were dropped with the message; attach again to retry");
            if (touched) {
                reset();
                note("the conversation was reset");
            }
            return;
        }
        progress.clear();
        started = true;
        printer.print("\n");
        if (stats) {
            err.println(GenerationStats.line(result));
            err.flush();
        }
    }

    private void reset() {
        conversation = model.newConversation();
        visionIds = new VisionIds();
        attachments.clear();
        started = false;
    }

    private void note(String text) {
        err.println("(" + text + ")");
        err.flush();
    }

    private void error(String text) {
        err.println("qwen2vl4j: " + text);
        err.flush();
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("'") && s.endsWith("'"))) {
            return s.substring(1, s.length() - 1);
        }
        return s;
    }
}
