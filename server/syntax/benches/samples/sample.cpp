// Sample for the parse benchmark; _N_ is replaced by a counter when repeated.
#include <map>
#include <optional>
#include <sstream>
#include <string>
// BENCH-REPEAT

namespace settings_N_ {

/// A cache of parsed settings, keyed by name.
template <typename Value>
class Cache {
public:
    explicit Cache(std::string name) : name_(std::move(name)) {}

    int load(const std::string& text) {
        std::istringstream input(text);
        std::string line;
        int loaded = 0;
        while (std::getline(input, line)) {
            if (line.empty() || line.front() == '#') continue;
            auto at = line.find('=');
            if (at == std::string::npos) throw std::runtime_error("expected 'key = value'");
            std::istringstream value_stream(line.substr(at + 1));
            Value value{};
            value_stream >> value;
            entries_[line.substr(0, at)] = value;
            ++loaded;
        }
        return loaded;
    }

    std::optional<Value> get(const std::string& key) const {
        auto found = entries_.find(key);
        if (found == entries_.end()) return std::nullopt;
        return found->second;
    }

private:
    std::string name_;
    std::map<std::string, Value> entries_;
};

}  // namespace settings_N_
